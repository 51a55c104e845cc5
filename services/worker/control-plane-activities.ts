/**
 * The control-plane activities of hosted clusters (workflows/hosted-cluster/control-plane-api.ts):
 * the PKI in the secret store, the control plane itself through the supervisor (local placement)
 * or a management cluster (kubernetes placement), and the hosted API server's Nodes. Keys and
 * kubeconfigs are read here and never returned.
 */
import { ApiException, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ControlPlaneActivities,
  ControlPlaneComponentStatus,
  ControlPlanePlacement,
  ControlPlaneStatus,
  HostedClusterRef,
  HostedNode,
} from '../../workflows/hosted-cluster/control-plane-api';
import { NODE_LABEL, NODE_LEASE_NAMESPACE } from '../../providers/hosted-node';
import { SupervisorRefusal, type SupervisorClient } from '../supervisor/client';
import type { ComponentReport, ControlPlaneReport } from '../supervisor/control-plane';
import type { ControlPlaneFiles } from '../supervisor/control-plane-state';
import type { HostedPki } from './hosted-pki';
import { controlPlaneKey } from './hosted-names';
import { ensureHostedPkiSecrets, readHostedAdminKubeconfig, readHostedPki, recordApiServerURL, removeHostedSecrets } from './hosted-secrets';
import { kubernetesPlacement } from './hosted-kubernetes';
import type { WritableSecretStore } from './secrets';

export interface ControlPlaneActivityDeps {
  /** Where the PKI and admin kubeconfig are kept. */
  readonly secrets: WritableSecretStore;
  /** The dev stack's supervisor, for local placement. */
  readonly supervisor?: SupervisorClient;
  /** The management cluster, for kubernetes placement. */
  readonly managementCluster?: KubeConfig;
}

/** What a local kube-apiserver reads of the PKI: everything but the CA's key and the admin credential. */
export function controlPlaneFilesOf(pki: HostedPki): ControlPlaneFiles {
  return { caCertificate: pki.caCertificate, servingCertificate: pki.servingCertificate, servingKey: pki.servingKey, serviceAccountKey: pki.serviceAccountKey, serviceAccountPublicKey: pki.serviceAccountPublicKey };
}

/** The running activity's context; undefined outside an activity (tests call these functions directly). */
function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Well inside the workflow's heartbeat timeout for control-plane calls (workflows/hosted-cluster/entity.ts). */
const HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * Heartbeats while `work` runs: a worker killed in the middle of a call to the supervisor or the
 * management cluster is then noticed within the heartbeat timeout and the call made again, not
 * after the start-to-close timeout (minutes, for a teardown that stops processes). Outside an
 * activity (tests call these functions directly) it only runs the work.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = currentActivity();
  if (!context) return work();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

const STARTUP_POLL_MS = 200;
/** Well inside the activity's start-to-close timeout (workflows/hosted-cluster/entity.ts). */
const STARTUP_WAIT_MS = 45_000;

/** A pause that ends early, failing, when the activity is cancelled (a delete while the control plane starts); a plain timer outside an activity. */
async function pause(ms: number): Promise<void> {
  const context = currentActivity();
  if (context) await context.sleep(ms);
  else await new Promise((resolve) => setTimeout(resolve, ms));
}

const NOT_STARTED: ControlPlaneComponentStatus = { available: false, message: 'the control plane has not been started' };

function componentStatus(report: ComponentReport): ControlPlaneComponentStatus {
  return report.available ? { available: true } : { available: false, message: report.message ?? 'not available' };
}

function statusOf(report: ControlPlaneReport): ControlPlaneStatus {
  return { etcd: componentStatus(report.etcd), kubeAPIServer: componentStatus(report.kubeAPIServer), apiServerURL: report.apiServerURL, ...(report.version ? { version: report.version } : {}) };
}

function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** The hosted API server through the admin kubeconfig: what node reads and deletes talk to. */
async function hostedClient(deps: ControlPlaneActivityDeps, ref: HostedClusterRef): Promise<{ readonly core: CoreV1Api; readonly coordination: CoordinationV1Api }> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(await readHostedAdminKubeconfig(deps.secrets, ref));
  return { core: kubeConfig.makeApiClient(CoreV1Api), coordination: kubeConfig.makeApiClient(CoordinationV1Api) };
}

export function createControlPlaneActivities(deps: ControlPlaneActivityDeps): ControlPlaneActivities {
  const supervisor = (): SupervisorClient => {
    if (!deps.supervisor) {
      throw ApplicationFailure.nonRetryable('this worker has no supervisor for local control planes (SLIPWAY_SUPERVISOR_URL is not set); start it with the dev stack (`npm run dev`), or place the control plane on a management cluster.', 'ControlPlaneUnavailable');
    }
    return deps.supervisor;
  };
  const kubernetes = () => {
    if (!deps.managementCluster) {
      throw ApplicationFailure.nonRetryable('this worker has no management cluster for kubernetes placement (SLIPWAY_KUBECONFIG is not set); give the stack --kubeconfig, or use local placement.', 'ControlPlaneUnavailable');
    }
    return kubernetesPlacement(deps.managementCluster);
  };

  const describe = async (ref: HostedClusterRef, placement: ControlPlanePlacement): Promise<ControlPlaneStatus> => {
    if (placement === 'kubernetes') return kubernetes().describe(ref);
    const report = await supervisor().describe(controlPlaneKey(ref));
    return report ? statusOf(report) : { etcd: NOT_STARTED, kubeAPIServer: NOT_STARTED };
  };

  /**
   * A control plane just started answers within seconds: waiting here for it, looking every
   * STARTUP_POLL_MS, makes the cluster Available the moment it is, where the workflow's own
   * rechecks (2 s, doubling) would find it up to a step late. Past STARTUP_WAIT_MS the report
   * goes back as it is, and the workflow's rechecks take over.
   */
  const untilAvailable = async (key: string, started: ControlPlaneReport): Promise<ControlPlaneReport> => {
    let report = started;
    const deadline = Date.now() + STARTUP_WAIT_MS;
    while (!(report.etcd.available && report.kubeAPIServer.available) && Date.now() < deadline) {
      await pause(STARTUP_POLL_MS);
      report = (await supervisor().describe(key)) ?? report;
    }
    return report;
  };

  return {
    async ensureHostedPki({ ref }) {
      return ensureHostedPkiSecrets(deps.secrets, ref);
    },

    ensureControlPlane: ({ ref, placement, kubernetesVersion }) => heartbeating(async () => {
      const pki = await readHostedPki(deps.secrets, ref);
      if (placement === 'kubernetes') {
        const status = await kubernetes().apply(ref, pki, kubernetesVersion);
        if (status.apiServerURL) await recordApiServerURL(deps.secrets, ref, status.apiServerURL);
        return status;
      }
      let report: ControlPlaneReport;
      try {
        report = await supervisor().ensure(controlPlaneKey(ref), { kubernetesVersion, files: controlPlaneFilesOf(pki) });
      } catch (error) {
        // A version this stack cannot run is the user's to change: a status to show, not a failure to retry.
        if (error instanceof SupervisorRefusal && error.code === 'UnsupportedVersion') {
          return { etcd: NOT_STARTED, kubeAPIServer: { available: false, message: error.reason } };
        }
        throw error;
      }
      await recordApiServerURL(deps.secrets, ref, report.apiServerURL);
      return statusOf(await untilAvailable(controlPlaneKey(ref), report));
    }),

    describeControlPlane: ({ ref, placement }) => heartbeating(() => describe(ref, placement)),

    deleteControlPlane: ({ ref, placement }) => heartbeating(async () => {
      if (placement === 'kubernetes') await kubernetes().remove(ref);
      else await supervisor().remove(controlPlaneKey(ref));
      await removeHostedSecrets(deps.secrets, ref);
    }),

    async listHostedNodes({ ref, nodePool }): Promise<HostedNode[]> {
      const { core, coordination } = await hostedClient(deps, ref);
      const nodes = await core.listNode({ labelSelector: `${NODE_LABEL.nodePool}=${nodePool}` });
      const leases = await coordination.listNamespacedLease({ namespace: NODE_LEASE_NAMESPACE });
      const renewTimes = new Map(leases.items.map((lease) => [lease.metadata?.name, lease.spec?.renewTime]));
      return nodes.items.map((node): HostedNode => {
        const name = node.metadata?.name ?? '';
        const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
        const renewed = renewTimes.get(name);
        const machineName = node.metadata?.labels?.[NODE_LABEL.machine];
        return {
          name,
          ready: ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown',
          ...(ready?.reason ? { reason: ready.reason } : {}),
          ...(renewed ? { lastHeartbeat: new Date(renewed).toISOString() } : {}),
          ...(machineName ? { machineName } : {}),
        };
      });
    },

    async deleteHostedNode({ ref, nodeName }) {
      const { core, coordination } = await hostedClient(deps, ref);
      await core.deleteNode({ name: nodeName }).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
      await coordination.deleteNamespacedLease({ name: nodeName, namespace: NODE_LEASE_NAMESPACE }).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    },
  };
}
