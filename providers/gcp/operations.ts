/**
 * Waiting on Compute Engine's long-running operations, for the cluster resources that wait
 * (network, firewall, load balancer). Each poll is a short get, not an operations.wait held
 * open for minutes; a transient poll failure does not end the wait, the deadline does.
 */
import type { protos } from '@google-cloud/compute';
import { ProviderError } from '../types';
import type { CallSettings, Gce, GceClients } from './compute';
import { GceError, classifyOperationError } from './errors';
import { operationIn } from './instances';

type Operation = protos.google.cloud.compute.v1.IOperation;

const POLL_START_MS = 100;
const POLL_MAX_MS = 1_000;

type GceSend<T> = (clients: GceClients, settings: CallSettings, project: string) => Promise<T>;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const nextPause = (pause: number): number => Math.min(POLL_MAX_MS, pause * 1.5);

/** Polls the operation (globalOperations or regionOperations, as `poll` asks) until DONE, then throws its error if it failed. */
export async function settleOperation(gce: Gce, operation: string, started: Operation, poll: (name: string) => GceSend<Operation>): Promise<void> {
  const deadline = Date.now() + gce.operationTimeoutMs;
  let current = started;
  for (let pause = POLL_START_MS; current.status !== 'DONE'; pause = nextPause(pause)) {
    const name = current.name;
    if (!name) throw new ProviderError('retryable', `gcp ${operation}: GCE answered an operation without a name (the call is retried)`, { operation });
    if (Date.now() >= deadline) throw new ProviderError('retryable', `gcp ${operation}: operation ${name} did not finish within ${gce.operationTimeoutMs} ms (the call is retried)`, { operation });
    await sleep(pause);
    try {
      current = await gce.call(operation, poll(name));
    } catch (error) {
      const transient = error instanceof ProviderError && (error.kind === 'retryable' || error.kind === 'throttled');
      if (!transient) throw error;
    }
  }
  const failed = classifyOperationError(operation, current, gce.redact);
  if (failed) throw failed;
}

/**
 * Sends a delete and waits for its operation; a resource already gone is fine, and one still
 * being made (or whose earlier delete is under way) is asked again until the deadline.
 */
export async function deleteAndSettle(gce: Gce, operation: string, send: GceSend<readonly unknown[]>, settle: (answer: Operation) => Promise<void>): Promise<void> {
  const deadline = Date.now() + gce.operationTimeoutMs;
  for (let pause = POLL_START_MS; ; pause = nextPause(pause)) {
    try {
      const [answer] = await gce.call(operation, send);
      await settle(operationIn(answer));
      return;
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return;
      const busy = error instanceof GceError && error.reason === 'resourceNotReady';
      if (!busy || Date.now() >= deadline) throw error;
    }
    await sleep(pause);
  }
}
