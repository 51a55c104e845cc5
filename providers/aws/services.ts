/**
 * The adapter's AWS clients (EC2, Elastic Load Balancing v2, Route 53) and the one way it calls
 * them: every failure comes out as a classified ProviderError with no secret in it, and a list is
 * streamed page by page with the service's own paging token. The three share one credentials
 * provider, so a secret learnt by any of them is scrubbed from the errors of all.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import type { CallMeter } from '../rate-limit';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { pageGuard, type PageGuard } from '../paging';
import { awsErrorCode, classifyAwsError, createRedactor, type Redact } from './errors';
import { apiClassOfCommand, createEc2Client, createElbClient, createRoute53Client, pageSizeOf, requestTimeoutOf, type AwsAdapterOptions, type AwsKeysProvider } from './options';

/** Per HTTP request, so each page of a list and each call of an ensure takes its own token. */
function meterRequests<Input extends object, Output extends object>(stack: MiddlewareStack<Input, Output>, meter: CallMeter | undefined): void {
  if (!meter) return;
  const middleware: FinalizeRequestMiddleware<Input, Output> = (next, context) => async (args) => {
    await meter(apiClassOfCommand(context.commandName));
    return next(args);
  };
  stack.add(middleware, { step: 'finalizeRequest', name: 'slipwayCallMeter' });
}

export interface AwsService<Client> {
  readonly client: Client;
  readonly pageSize: number;
  readonly redact: Redact;
  call<T>(operation: string, send: () => Promise<T>): Promise<T>;
  /** As call, but the service answering one of `codes` means "nothing there": undefined. */
  callUnless<T>(operation: string, codes: readonly string[], send: () => Promise<T>): Promise<T | undefined>;
  /** As call, but the service answering one of `codes` comes back as that code, for the caller to act on. */
  callExpecting<T>(operation: string, codes: readonly string[], send: () => Promise<T>): Promise<Outcome<T>>;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: string };

export type Ec2 = AwsService<EC2Client>;
export type Elb = AwsService<ElasticLoadBalancingV2Client>;
export type Route53 = AwsService<Route53Client>;

export interface AwsServices {
  readonly ec2: Ec2;
  readonly elb: Elb;
  readonly route53: Route53;
}

export function createAwsServices(options: AwsAdapterOptions): AwsServices {
  const timeoutMs = requestTimeoutOf(options);
  const pageSize = pageSizeOf(options);
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

  const callExpecting = async <T>(operation: string, codes: readonly string[], send: () => Promise<T>): Promise<Outcome<T>> => {
    try {
      return { ok: true, value: await send() };
    } catch (error) {
      const code = awsErrorCode(error);
      if (code !== undefined && codes.includes(code)) return { ok: false, code };
      throw classifyAwsError(operation, error, timeoutMs, redactor.redact);
    }
  };

  const service = <Client>(client: Client): AwsService<Client> => ({
    client,
    pageSize,
    redact: redactor.redact,
    callExpecting,
    call: async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
      try {
        return await send();
      } catch (error) {
        throw classifyAwsError(operation, error, timeoutMs, redactor.redact);
      }
    },
    callUnless: async <T>(operation: string, codes: readonly string[], send: () => Promise<T>): Promise<T | undefined> => {
      const outcome = await callExpecting(operation, codes, send);
      return outcome.ok ? outcome.value : undefined;
    },
  });

  const ec2 = createEc2Client(options, credentials);
  const elb = createElbClient(options, credentials);
  const route53 = createRoute53Client(options, credentials);
  meterRequests(ec2.middlewareStack, options.meter);
  meterRequests(elb.middlewareStack, options.meter);
  meterRequests(route53.middlewareStack, options.meter);
  return {
    ec2: service(ec2),
    elb: service(elb),
    route53: service(route53),
  };
}

/**
 * Streams the pages of a paginated list call, each as its items. `nextOf` reads the token for the
 * next page (EC2's NextToken, ELB's NextMarker, Route 53's NextMarker when IsTruncated, or a cursor
 * of several fields); a service may send an empty page with a token. A token seen before, or more
 * than MAX_PAGES pages, stops the list with an error instead of a loop (providers/paging.ts).
 */
export async function* pages<Page, Item, Token = string>(
  fetchPage: (token: Token | undefined) => Promise<Page>,
  itemsOf: (page: Page) => readonly Item[],
  nextOf: (page: Page) => Token | undefined,
  guard: PageGuard = pageGuard('aws', 'list'),
): AsyncGenerator<readonly Item[]> {
  let token: Token | undefined;
  do {
    const page = await fetchPage(token);
    yield itemsOf(page);
    token = nextOf(page) || undefined;
    if (token !== undefined) guard.next(token);
  } while (token !== undefined);
}

/** As pages, one item at a time. */
export async function* paginate<Page, Item>(
  fetchPage: (token: string | undefined) => Promise<Page>,
  itemsOf: (page: Page) => readonly Item[],
  nextOf: (page: Page) => string | undefined,
): AsyncGenerator<Item> {
  for await (const items of pages(fetchPage, itemsOf, nextOf)) yield* items;
}

/** EC2's paging token. */
export const nextToken = (page: { readonly NextToken?: string | undefined }): string | undefined => page.NextToken;

/** Consecutive slices of at most `size` items, for calls that take a bounded list of IDs. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
