/**
 * One EC2 client per adapter and the one way the adapter calls it: every failure comes out
 * as a classified ProviderError, and a list is streamed page by page with EC2's NextToken.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { classifyEc2Error, createRedactor, ec2ErrorCode, type Redact } from './errors';
import { createEc2Client, pageSizeOf, requestTimeoutOf, type AwsAdapterOptions, type AwsKeysProvider } from './options';

export interface Ec2 {
  readonly client: EC2Client;
  readonly pageSize: number;
  readonly redact: Redact;
  call<T>(operation: string, send: () => Promise<T>): Promise<T>;
  /** As call, but EC2 answering one of `codes` means "nothing there": undefined. */
  callUnless<T>(operation: string, codes: readonly string[], send: () => Promise<T>): Promise<T | undefined>;
}

export function createEc2(options: AwsAdapterOptions): Ec2 {
  const timeoutMs = requestTimeoutOf(options);
  const redactor = createRedactor();
  const source = options.credentials;
  const credentials: AwsKeysProvider | undefined = source
    ? async () => {
        const keys = await source();
        redactor.remember(keys.secretAccessKey);
        redactor.remember(keys.sessionToken);
        return keys;
      }
    : undefined;
  const client = createEc2Client(options, credentials);

  const callUnless = async <T>(operation: string, codes: readonly string[], send: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await send();
    } catch (error) {
      const code = ec2ErrorCode(error);
      if (code !== undefined && codes.includes(code)) return undefined;
      throw classifyEc2Error(operation, error, timeoutMs, redactor.redact);
    }
  };

  return {
    client,
    pageSize: pageSizeOf(options),
    redact: redactor.redact,
    callUnless,
    async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
      try {
        return await send();
      } catch (error) {
        throw classifyEc2Error(operation, error, timeoutMs, redactor.redact);
      }
    },
  };
}

/** Streams the items of a paginated Describe* call; EC2 may send an empty page with a NextToken. */
export async function* paginate<Page extends { NextToken?: string | undefined }, Item>(
  fetchPage: (nextToken: string | undefined) => Promise<Page>,
  itemsOf: (page: Page) => readonly Item[],
): AsyncGenerator<Item> {
  let nextToken: string | undefined;
  do {
    const page = await fetchPage(nextToken);
    yield* itemsOf(page);
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
}
