/**
 * The page guard every adapter's lists go through (providers/paging.ts), driven through AWS's
 * generic pager: a repeated token or a list past the page budget stops with an error, not a loop.
 * (Against an emulator that repeats tokens: test/contract/gcp.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { pages } from '../../providers/aws/services';
import { pageGuard } from '../../providers/paging';
import { ProviderError } from '../../providers/types';

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of items) count += 1;
  return count;
}

describe('page guard', () => {
  it('stops a list whose next token repeats an earlier one', async () => {
    const tokens = ['a', 'b', 'a', 'b'];
    let served = 0;
    const listed = pages(
      async () => ({ token: tokens[served++] }),
      () => [1],
      (page) => page.token,
    );
    const error = await drain(listed).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('retryable');
    expect((error as ProviderError).message).toMatch(/aws list: the service handed back a page token it had already given/);
    expect(served).toBe(3);
  });

  it('stops a list past its page budget, and lets one within it finish', async () => {
    let served = 0;
    const endless = pages(
      async () => ({ token: `t${served++}` }),
      () => [1],
      (page) => page.token,
      pageGuard('aws', 'list machines', 5),
    );
    await expect(drain(endless)).rejects.toThrow(/aws list machines: the list ran past 5 pages/);
    let short = 0;
    expect(await drain(pages(async () => ({ token: short < 3 ? `t${short++}` : undefined }), () => [1], (page) => page.token, pageGuard('aws', 'list', 5)))).toBe(4);
  });
});
