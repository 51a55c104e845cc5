/** The dev stack's supervisor for a test, on a home folder of the test's own, and what tests check of its processes. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { startSupervisor, type RunningSupervisor } from '../../services/supervisor/launch';
import { createSupervisorClient, type SupervisorClient } from '../../services/supervisor/client';
import type { ControlPlaneReport } from '../../services/supervisor/control-plane';
import { eventually } from './async-checks';

export interface TestSupervisor {
  readonly process: RunningSupervisor;
  readonly client: SupervisorClient;
  readonly token: string;
}

/** The first start of a kube-apiserver builds its bootstrap RBAC; a busy two-core machine is slow. */
export const CONTROL_PLANE_STARTUP_MS = 120_000;

export async function startTestSupervisor(home: string, token = randomBytes(16).toString('hex')): Promise<TestSupervisor> {
  const process = await startSupervisor({ home, token, etcdUnsafeNoFsync: true });
  return { process, token, client: createSupervisorClient({ url: process.url, token }) };
}

/** Deletes every control plane it runs (their processes, ports and state), then stops it. */
export async function stopTestSupervisor(supervisor: TestSupervisor | undefined): Promise<void> {
  if (!supervisor) return;
  for (const report of await supervisor.client.list().catch(() => [])) await supervisor.client.remove(report.key);
  await supervisor.process.stop();
}

export function isAvailable(report: ControlPlaneReport | undefined): boolean {
  return report !== undefined && report.etcd.available && report.kubeAPIServer.available;
}

/** The control plane's report once both components answer, or the last one read when the time is up (the caller asserts). */
export async function availableReport(client: SupervisorClient, key: string, timeoutMs = CONTROL_PLANE_STARTUP_MS): Promise<ControlPlaneReport | undefined> {
  return eventually(() => client.describe(key), isAvailable, timeoutMs, 500);
}

export function processExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // Field 3 of /proc/PID/stat is the state; Z is a zombie that nobody reaped yet.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function kubeConfigFromYaml(yaml: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(yaml);
  return kubeConfig;
}
