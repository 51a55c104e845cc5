/**
 * A malformed secret file never shows its text: JSON.parse's own message quotes the text around
 * the fault, which can be the key itself, and an error reaches history, status and logs.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSecretStore } from '../../services/worker/secrets';

const PLANTED = 'wJalrXUtnFEMI-planted-K7MDENG-bPxRfiCY';

describe('file secret store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-secrets-'));
    await mkdir(join(dir, 'default'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['an unquoted value', `{"accessKeyId": "AKIA1", "secretAccessKey": ${PLANTED}}`],
    ['a truncated file', `{"secretAccessKey": "${PLANTED}`],
    ['a trailing comma', `{"secretAccessKey": "${PLANTED}",}`],
    ['text after the object', `{"secretAccessKey": "${PLANTED}"} ${PLANTED}`],
    ['an array', `["${PLANTED}"]`],
  ])('refuses %s without showing any of the text', async (label, text) => {
    const name = `bad-${label.replaceAll(' ', '-')}`;
    await writeFile(join(dir, 'default', `${name}.json`), text);
    const error = await fileSecretStore(dir)
      .read('default', name)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(ApplicationFailure);
    const failure = error as ApplicationFailure;
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('CredentialsRefused');
    expect(failure.message).toMatch(new RegExp(`secret default/${name} (is not valid JSON|is not a JSON object)`));
    const everything = `${failure.message} ${failure.stack ?? ''} ${String(failure.cause ?? '')} ${JSON.stringify(failure.details ?? null)}`;
    expect(everything).not.toContain(PLANTED);
    expect(everything).not.toContain(PLANTED.slice(0, 8));
  });
});
