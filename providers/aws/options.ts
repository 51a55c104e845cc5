/**
 * What the AWS adapter needs to reach EC2, and how a worker builds it.
 *
 * Credentials secret fields (all strings):
 *   accessKeyId      required  the IAM access key ID
 *   secretAccessKey  required  its secret
 *   sessionToken     optional  for temporary (STS) credentials
 * Without a secret, the environment profile is used: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN when they are set, else the SDK's default chain (AWS_PROFILE and the shared
 * config files, web identity, container or instance metadata).
 *
 * SLIPWAY_AWS_ENDPOINT, when set, sends every EC2, Elastic Load Balancing and Route 53 call there
 * (e.g. http://127.0.0.1:5000 for moto, which serves all three on one port); otherwise each service's
 * own endpoint is used: https://ec2.<region>.amazonaws.com, https://elasticloadbalancing.<region>.amazonaws.com
 * and the global https://route53.amazonaws.com (and their partitions' equivalents).
 * An empty region falls back to AWS_REGION, then AWS_DEFAULT_REGION.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { ApiClass, CallMeter } from '../rate-limit';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { ProviderError } from '../types';

export interface AwsKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type AwsKeysProvider = () => Promise<AwsKeys>;

export interface AwsAdapterOptions {
  readonly region: string;
  /**
   * A provider holding static keys, or undefined for the SDK's default chain. A function rather
   * than the keys themselves, so logging or serialising the options never prints a secret.
   */
  readonly credentials?: AwsKeysProvider;
  /** One endpoint serving EC2, ELBv2 and Route 53, such as moto; undefined means each service's real endpoint. */
  readonly endpoint?: string;
  /** Bounds every call: connecting, and the whole request and answer. */
  readonly requestTimeoutMs?: number;
  /** Items per page of a list call (MaxResults, PageSize, MaxItems); EC2 takes 5 to 1000, ELB at most 400. */
  readonly pageSize?: number;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
}

/** EC2, ELB and Route 53 reads are Describe*, List* and Get*; everything else may change the account. */
export function apiClassOfCommand(commandName: string | undefined): ApiClass {
  return /^(Describe|List|Get)/.test(commandName ?? '') ? 'describe' : 'mutate';
}

export const AWS_ENDPOINT_ENV = 'SLIPWAY_AWS_ENDPOINT';
export const AWS_SECRET_FIELDS = { accessKeyId: 'accessKeyId', secretAccessKey: 'secretAccessKey', sessionToken: 'sessionToken' } as const;

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_PAGE_SIZE = 100;

export interface AwsAdapterOptionsInput {
  readonly region: string;
  readonly credentials: Readonly<Record<string, string>> | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function staticCredentials(keys: AwsKeys): AwsKeysProvider {
  return async () => keys;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function fromSecret(secret: Readonly<Record<string, string>>): AwsKeysProvider {
  const accessKeyId = secret[AWS_SECRET_FIELDS.accessKeyId];
  const secretAccessKey = secret[AWS_SECRET_FIELDS.secretAccessKey];
  const sessionToken = secret[AWS_SECRET_FIELDS.sessionToken];
  for (const [field, value] of [[AWS_SECRET_FIELDS.accessKeyId, accessKeyId], [AWS_SECRET_FIELDS.secretAccessKey, secretAccessKey]] as const) {
    if (!present(value)) {
      throw new ProviderError('invalid', `aws: the credentials secret has no ${field} field (it needs ${AWS_SECRET_FIELDS.accessKeyId} and ${AWS_SECRET_FIELDS.secretAccessKey}, and ${AWS_SECRET_FIELDS.sessionToken} for temporary credentials); fix the secret`);
    }
  }
  return staticCredentials({
    accessKeyId: (accessKeyId ?? '').trim(),
    secretAccessKey: (secretAccessKey ?? '').trim(),
    ...(present(sessionToken) ? { sessionToken: sessionToken.trim() } : {}),
  });
}

function fromEnvironment(env: AwsAdapterOptionsInput['env']): AwsKeysProvider | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!present(accessKeyId) || !present(secretAccessKey)) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return staticCredentials({ accessKeyId, secretAccessKey, ...(present(sessionToken) ? { sessionToken } : {}) });
}

/** The options a worker uses for one target: credentials from the secret or the environment profile. */
export function awsAdapterOptionsFrom(input: AwsAdapterOptionsInput): AwsAdapterOptions {
  const region = [input.region, input.env.AWS_REGION, input.env.AWS_DEFAULT_REGION].find(present);
  if (region === undefined) throw new ProviderError('invalid', 'aws: no region: set the target region (or AWS_REGION on the worker)');
  const credentials = input.credentials !== undefined ? fromSecret(input.credentials) : fromEnvironment(input.env);
  const endpoint = input.env[AWS_ENDPOINT_ENV];
  return {
    region: region.trim(),
    ...(credentials ? { credentials } : {}),
    ...(present(endpoint) ? { endpoint: endpoint.trim() } : {}),
  };
}

export function requestTimeoutOf(options: AwsAdapterOptions): number {
  return options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
}

export function pageSizeOf(options: AwsAdapterOptions): number {
  return Math.min(1000, Math.max(5, Math.floor(options.pageSize ?? DEFAULT_PAGE_SIZE)));
}

interface ClientConfig {
  readonly region: string;
  readonly maxAttempts: 1;
  readonly requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true };
  readonly credentials?: AwsKeysProvider;
  readonly endpoint?: string;
}

/**
 * One attempt per call (Temporal retries, by the error's kind) and a deadline on every call.
 * `credentials` is the provider the client signs with (the adapter's, which remembers secrets to scrub).
 */
function clientConfig(options: AwsAdapterOptions, credentials: AwsKeysProvider | undefined): ClientConfig {
  const timeoutMs = requestTimeoutOf(options);
  return {
    region: options.region,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
    ...(credentials ? { credentials } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
}

export function createEc2Client(options: AwsAdapterOptions, credentials: AwsKeysProvider | undefined): EC2Client {
  return new EC2Client(clientConfig(options, credentials));
}

export function createElbClient(options: AwsAdapterOptions, credentials: AwsKeysProvider | undefined): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client(clientConfig(options, credentials));
}

/** Route 53 is global; the SDK signs for the partition's Route 53 region whatever region it is given. */
export function createRoute53Client(options: AwsAdapterOptions, credentials: AwsKeysProvider | undefined): Route53Client {
  return new Route53Client(clientConfig(options, credentials));
}
