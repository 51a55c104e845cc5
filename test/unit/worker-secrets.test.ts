/** Credentials at the worker's edge: idempotency tokens by uid, and a missing secret as a wait. (Malformed secrets: secrets.test.ts.) */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { idempotencyToken } from '../../services/worker/cluster-activities';
import { fileSecretStore } from '../../services/worker/secrets';

describe('idempotency tokens', () => {
  it('differ for a same-name object created again (a new uid), and hold for the same one', () => {
    const machine = { workflowId: 'ClusterDeployment/default/demo', machineName: 'master-0', attempt: 0 };
    const first = idempotencyToken({ ...machine, uid: 'uid-1' });
    expect(idempotencyToken({ ...machine, uid: 'uid-1' })).toBe(first);
    expect(idempotencyToken({ ...machine, uid: 'uid-2' })).not.toBe(first);
    expect(idempotencyToken({ ...machine, uid: 'uid-1', attempt: 1 })).not.toBe(first);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('the file secret store', () => {
  it('says a missing secret is a credentials problem to wait on, naming the file to create', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-secrets-'));
    const failure = await fileSecretStore(dir).read('team-a', 'absent').catch((error: unknown) => error);
    expect((failure as ApplicationFailure).type).toBe('CredentialsNotFound');
    expect((failure as ApplicationFailure).message).toContain(join(dir, 'team-a', 'absent.json'));
  });
});
