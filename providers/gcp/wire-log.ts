/**
 * What the last HTTP answer of one adapter call looked like. The SDK's REST transport turns a
 * failed answer into an error that keeps neither the Retry-After header nor GCE's own error
 * reasons (errors[].reason), and both decide how a failure is classified. So a response
 * interceptor on the auth client's transport notes them, for the call whose async context the
 * request runs in. Only failed answers have their bodies read; a success is never touched.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { apiClassOfMethod, type CallMeter } from '../rate-limit';
import type { AuthClient, gaxios } from 'google-auth-library';

export interface WireRecord {
  status?: number;
  retryAfter?: string;
  /** The body of a failed answer, at most ERROR_BODY_LIMIT characters. */
  errorBody?: string;
  /** A system error code when no answer came (ECONNRESET, ECONNREFUSED, ...). */
  networkCode?: string;
}

const ERROR_BODY_LIMIT = 8_000;
const calls = new AsyncLocalStorage<WireRecord>();
const recording = new WeakSet<AuthClient>();

/** Runs one call with a fresh record that the interceptor fills in. */
export async function withWireRecord<T>(work: (record: WireRecord) => Promise<T>): Promise<T> {
  const record: WireRecord = {};
  return calls.run(record, () => work(record));
}

function noteAnswer(record: WireRecord, response: gaxios.GaxiosResponse): void {
  record.status = response.status;
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter !== null) record.retryAfter = retryAfter;
  else delete record.retryAfter;
}

/** Adds the recording interceptor, the answer size limit and, given a meter, one that takes a rate-limit token per request, to the client's transport, once. */
export function recordWire(client: AuthClient, meter: CallMeter | undefined, maxResponseBytes: number): void {
  if (recording.has(client)) return;
  recording.add(client);
  // Every answer is read only up to the limit (gaxios checks Content-Length, and counts the bytes of a body without one).
  client.transporter.interceptors.request.add({
    resolved: async (config) => Object.assign(config, { maxContentLength: maxResponseBytes, size: maxResponseBytes }),
  });
  if (meter) {
    // Per HTTP request: each page of a list and each operation poll takes its own token.
    client.transporter.interceptors.request.add({
      resolved: async (config) => {
        await meter(apiClassOfMethod(config.method ?? 'GET'));
        return config;
      },
    });
  }
  client.transporter.interceptors.response.add({
    resolved: async (response) => {
      const record = calls.getStore();
      if (record) {
        noteAnswer(record, response);
        delete record.errorBody;
        if (!response.ok) record.errorBody = (await response.clone().text()).slice(0, ERROR_BODY_LIMIT);
      }
      return response;
    },
    rejected: (error) => {
      const record = calls.getStore();
      if (record) {
        if (error.response) {
          noteAnswer(record, error.response);
          // For a rejected 401 or 403 the transport has already read the body into the message.
          record.errorBody = error.message.slice(0, ERROR_BODY_LIMIT);
        } else if (typeof error.code === 'string') {
          record.networkCode = error.code;
        }
      }
      throw error;
    },
  });
}

/** Whether gaxios gave up reading an answer for its size. */
export function isAnswerTooLarge(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth += 1, current = current.cause) {
    if ((current as { type?: unknown }).type === 'max-size' || /over (the )?limit/i.test(current.message)) return true;
  }
  return false;
}
