/**
 * Turns a BMC's Redfish answer into a ProviderError. Redfish errors are JSON
 * `{ "error": { "code": "Base.1.x.<MessageId>", "message": ..., "@Message.ExtendedInfo": [...] } }`
 * (DMTF Base message registry); some BMCs answer plain text instead. Messages name the host
 * and the operation, never the BMC credentials.
 */
import { classifyHttpFailure, connectionFailure, type CloudErrorCodes } from '../http-errors';
import { ProviderError, type ProviderErrorKind } from '../types';

export const CLOUD = 'baremetal';

/** Base registry message IDs (without the registry version) whose meaning the status alone does not carry. */
const KIND_BY_MESSAGE_ID: Readonly<Record<string, ProviderErrorKind>> = {
  'Base.ServiceTemporarilyUnavailable': 'throttled',
  'Base.ResourceNotFound': 'notFound',
  'Base.InsufficientPrivilege': 'invalid',
  'Base.ActionNotSupported': 'invalid',
  'Base.ActionParameterNotSupported': 'invalid',
  'Base.ActionParameterValueNotInList': 'invalid',
  'Base.PropertyValueNotInList': 'invalid',
  'Base.PropertyNotWritable': 'invalid',
  'Base.ServiceShuttingDown': 'retryable',
};

export interface RedfishErrorBody {
  readonly code?: string;
  readonly message: string;
}

/** "Base.1.8.ResourceNotFound" -> "Base.ResourceNotFound". */
export function messageIdWithoutVersion(code: string): string {
  return code.replace(/^([A-Za-z]+)\.\d+\.\d+(?:\.\d+)?\./, '$1.');
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field.trim() !== '' ? field.trim() : undefined;
}

/** The code and a readable message out of a Redfish error body; plain text is kept as the message. */
export function parseRedfishError(text: string): RedfishErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.trim().slice(0, 300) || 'no error body' };
  }
  const error = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).error : undefined;
  const code = stringField(error, 'code');
  const details = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['@Message.ExtendedInfo'] : undefined;
  const extended = Array.isArray(details) ? details.map((entry) => stringField(entry, 'Message')).filter((message): message is string => message !== undefined) : [];
  const message = [stringField(error, 'message'), ...extended].filter((part) => part !== undefined).join(' ') || text.trim().slice(0, 300) || 'no error body';
  return { ...(code !== undefined ? { code } : {}), message };
}

export interface FailedCall {
  readonly operation: string;
  readonly host: string;
  /** The secret the host's credentials come from: named in a 401, so a person knows which to fix. */
  readonly credentialsRef: string;
  readonly status: number;
  readonly body: string;
  readonly retryAfter: string | null;
}

export function classifyRedfishFailure(call: FailedCall): ProviderError {
  const where = `${call.operation} on host ${call.host}`;
  if (call.status === 401) {
    return new ProviderError('credentials', `${CLOUD} ${where}: the BMC refused the credentials (HTTP 401); check the BMC credentials secret "${call.credentialsRef}"`, {
      operation: call.operation,
      status: call.status,
    });
  }
  const { code, message } = parseRedfishError(call.body);
  const kind = kindBeyondStatus(call.status, code, call.retryAfter);
  // classifyHttpFailure reads a kind the status does not imply from the error code, so a body without one gets the status's name.
  const label = code ?? STATUS_NAMES[call.status];
  const codes: CloudErrorCodes = kind !== undefined && label !== undefined ? { [kind]: [label] } : {};
  return classifyHttpFailure(CLOUD, where, { status: call.status, ...(label !== undefined ? { code: label } : {}), message, retryAfter: call.retryAfter }, codes);
}

const STATUS_NAMES: Readonly<Record<number, string>> = { 501: 'NotImplemented', 503: 'ServiceUnavailable' };

function kindBeyondStatus(status: number, code: string | undefined, retryAfter: string | null): ProviderErrorKind | undefined {
  const byMessageId = code === undefined ? undefined : KIND_BY_MESSAGE_ID[messageIdWithoutVersion(code)];
  if (byMessageId !== undefined) return byMessageId;
  // A 503 that says when to come back is a BMC asking the caller to slow down.
  if (status === 503 && retryAfter !== null) return 'throttled';
  // The BMC does not implement the request: repeating it cannot help.
  if (status === 501) return 'invalid';
  return undefined;
}

export function unreachableBmc(operation: string, host: string, error: unknown, timeoutMs: number): ProviderError {
  return connectionFailure(CLOUD, `${operation} on host ${host}`, error, timeoutMs);
}
