/**
 * Compute Engine's Operation resource (zoneOperations, regionOperations and globalOperations: get and wait).
 * Every insert and delete answers with an Operation whose status goes PENDING, RUNNING, DONE;
 * a failed one is DONE with `error.errors[{ code, message }]`, `httpErrorStatusCode` and
 * `httpErrorMessage`. Status is derived from the clock and the times fixed when the operation
 * began, so nothing runs in the background.
 *
 * `requestId` (a UUID other than the zero UUID, as the API requires) makes a mutation
 * idempotent: the same requestId within the window answers the operation it started first,
 * and that operation carries it as `clientOperationId`.
 */
import { randomBytes } from 'node:crypto';
import { GceFailure, gceTimestamp } from './http';

export type OperationStatus = 'PENDING' | 'RUNNING' | 'DONE';

/** The method that started the operation, as GCE names it in operationType. */
export type OperationType = 'insert' | 'delete' | 'patch' | 'setLabels' | 'addInstances' | 'removeInstances';

export interface OperationFailure {
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number;
  readonly httpMessage: string;
}

export interface OperationRecord {
  readonly id: string;
  readonly name: string;
  /** `zones/<zone>`, `regions/<region>` or `global`: where the operation lives, and where requestIds are scoped. */
  readonly scope: string;
  readonly operationType: OperationType;
  /** Relative to the API root: projects/<p>/zones/<z>/instances/<name>. */
  readonly targetPath: string;
  readonly targetId: string;
  readonly requestId: string | undefined;
  readonly insertedAt: number;
  readonly startAt: number;
  readonly doneAt: number;
  readonly failure: OperationFailure | undefined;
}

export interface OperationStart {
  readonly scope: string;
  readonly operationType: OperationType;
  readonly targetPath: string;
  readonly targetId: string;
  readonly requestId: string | undefined;
  readonly doneAt: number;
  readonly failure?: OperationFailure;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The requestId query parameter, checked as the API checks it; undefined when absent. */
export function requestIdOf(query: URLSearchParams): string | undefined {
  const requestId = query.get('requestId');
  if (requestId === null || requestId === '') return undefined;
  if (!UUID.test(requestId) || requestId === ZERO_UUID) {
    throw new GceFailure(400, 'invalid', `Invalid value for field 'requestId': '${requestId}'. The request ID must be a valid UUID with the exception that zero UUID is not supported (${ZERO_UUID}).`);
  }
  return requestId.toLowerCase();
}

let nextId = 1_000_000_000_000_000n + BigInt(randomBytes(4).readUInt32BE(0)) * 1_000_000n;

export function newResourceId(): string {
  nextId += 1n + BigInt(randomBytes(1).readUInt8(0));
  return nextId.toString();
}

export class OperationRegistry {
  private readonly operations = new Map<string, OperationRecord>();
  private readonly byRequest = new Map<string, { readonly name: string; readonly expiresAt: number }>();

  constructor(
    private readonly project: string,
    private readonly now: () => number,
    private readonly requestIdWindowMs: number,
  ) {}

  /** The operation an earlier request with this requestId started, while the window lasts. */
  replay(scope: string, requestId: string | undefined): OperationRecord | undefined {
    if (requestId === undefined) return undefined;
    const key = `${scope}|${requestId}`;
    const remembered = this.byRequest.get(key);
    if (!remembered) return undefined;
    if (remembered.expiresAt <= this.now()) {
      this.byRequest.delete(key);
      return undefined;
    }
    return this.operations.get(remembered.name);
  }

  start(input: OperationStart): OperationRecord {
    const insertedAt = this.now();
    const hex = randomBytes(12).toString('hex');
    const record: OperationRecord = {
      id: newResourceId(),
      name: `operation-${insertedAt}-${hex.slice(0, 13)}-${hex.slice(13, 21)}-${hex.slice(21)}`,
      scope: input.scope,
      operationType: input.operationType,
      targetPath: input.targetPath,
      targetId: input.targetId,
      requestId: input.requestId,
      insertedAt,
      startAt: insertedAt + Math.min(50, Math.max(0, input.doneAt - insertedAt) / 4),
      doneAt: Math.max(insertedAt, input.doneAt),
      failure: input.failure,
    };
    this.operations.set(record.name, record);
    if (input.requestId !== undefined) this.byRequest.set(`${input.scope}|${input.requestId}`, { name: record.name, expiresAt: insertedAt + this.requestIdWindowMs });
    return record;
  }

  get(scope: string, name: string): OperationRecord {
    const record = this.operations.get(name);
    if (!record || record.scope !== scope) throw new GceFailure(404, 'notFound', `The resource 'projects/${this.project}/${scope}/operations/${name}' was not found`);
    return record;
  }

  status(record: OperationRecord): OperationStatus {
    const now = this.now();
    if (now >= record.doneAt) return 'DONE';
    return now >= record.startAt ? 'RUNNING' : 'PENDING';
  }

  render(record: OperationRecord, origin: string): Record<string, unknown> {
    const status = this.status(record);
    const base = `${origin}/compute/v1/projects/${this.project}`;
    const zone = record.scope.startsWith('zones/') ? { zone: `${base}/${record.scope}` } : record.scope.startsWith('regions/') ? { region: `${base}/${record.scope}` } : {};
    const failure = status === 'DONE' ? record.failure : undefined;
    return {
      kind: 'compute#operation',
      id: record.id,
      name: record.name,
      ...zone,
      operationType: record.operationType,
      targetLink: `${origin}/compute/v1/${record.targetPath}`,
      targetId: record.targetId,
      status,
      user: 'slipway@gce-emulator.invalid',
      progress: status === 'DONE' ? 100 : status === 'RUNNING' ? 50 : 0,
      insertTime: gceTimestamp(record.insertedAt),
      ...(status !== 'PENDING' ? { startTime: gceTimestamp(record.startAt) } : {}),
      ...(status === 'DONE' ? { endTime: gceTimestamp(record.doneAt) } : {}),
      ...(record.requestId !== undefined ? { clientOperationId: record.requestId } : {}),
      ...(failure
        ? { error: { errors: [{ code: failure.code, message: failure.message }] }, httpErrorStatusCode: failure.httpStatus, httpErrorMessage: failure.httpMessage }
        : {}),
      selfLink: `${base}/${record.scope}/operations/${record.name}`,
    };
  }
}
