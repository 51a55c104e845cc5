/**
 * The MachineDeployment's watch on the cloud: one long-polling activity that returns only
 * when what the cloud holds for this MachineDeployment differs from what the workflow last
 * saw, so a quiet MachineDeployment adds nothing to its history.
 */
import { Context } from '@temporalio/activity';
import { TAG } from '../../providers/tags';
import type { MachineDeploymentActivities, MachineObservation } from '../../workflows/machine-deployment/activities-api';
import { observationFingerprint, observationSettled } from '../../workflows/machine-deployment/activities-api';
import type { AdapterResolver } from './cluster-activities';
import { withRetryClassification } from './errors';

export interface MachineDeploymentActivityDeps {
  readonly adapters: AdapterResolver;
  readonly pollIntervalMs?: number;
}

function sameFingerprints(seen: Readonly<Record<string, MachineObservation>>, known: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(seen);
  if (names.length !== Object.keys(known).length) return false;
  return names.every((name) => {
    const observation = seen[name];
    return observation !== undefined && known[name] === observationFingerprint(observation);
  });
}

const HEARTBEAT_EVERY_MS = 1_000;

export function createMachineDeploymentActivities(deps: MachineDeploymentActivityDeps): MachineDeploymentActivities {
  const pollIntervalMs = deps.pollIntervalMs ?? 500;
  return {
    async watchMachines(input) {
      const adapter = await deps.adapters(input.target);
      const cloudPrefix = `${input.infraId}-`;
      const deadline = Date.now() + input.maxWaitSeconds * 1000;
      const owned = new RegExp(input.namePattern);
      for (;;) {
        const seen: Record<string, MachineObservation> = {};
        await withRetryClassification('list machines', async () => {
          const query = { [TAG.management]: input.managementId, [TAG.cluster]: input.infraId };
          for await (const machine of adapter.listMachines(query)) {
            if (machine.phase === 'terminated' || !machine.name.startsWith(cloudPrefix)) continue;
            const name = machine.name.slice(cloudPrefix.length);
            if (!owned.test(name)) continue;
            seen[name] = { providerId: machine.providerId, phase: machine.phase, ...(machine.node !== undefined ? { node: machine.node } : {}) };
          }
        });
        if (!sameFingerprints(seen, input.known) || Date.now() >= deadline) return { machines: seen };
        const settled = input.mayIdle !== false && input.expected.every((name) => seen[name] !== undefined) && Object.values(seen).every(observationSettled);
        const pause = Math.min(settled ? input.settledPollSeconds * 1000 : pollIntervalMs, Math.max(0, deadline - Date.now()));
        // Heartbeat at least every second, so a cancel (the workflow wants a fresh look) arrives soon.
        for (let waited = 0; waited < pause; waited += HEARTBEAT_EVERY_MS) {
          Context.current().heartbeat();
          await Context.current().sleep(Math.min(HEARTBEAT_EVERY_MS, pause - waited));
        }
      }
    },
  };
}
