/**
 * The BMC side of a claim: boot a claimed host into provisioning, read its phase, and take a
 * released host down. A BMC applies power changes when it will (seconds later), so nothing
 * here waits for one: each step reads PowerState, does what is missing, records it in the
 * inventory, and the next call (a retry, a describe, a list) resumes from there.
 */
import { isProviderError, ProviderError, type MachinePhase } from '../types';
import { CLOUD } from './errors';
import type { HostInventory, HostRow } from './inventory';
import type { CredentialsResolver } from './options';
import type { BmcCredentials, BmcTarget, PowerState, RedfishClient } from './redfish';

export interface HostPowerDeps {
  readonly redfish: RedfishClient;
  readonly resolveCredentials: CredentialsResolver;
  readonly endpointOverride: string | undefined;
  readonly powerOffRetryMs: number;
  readonly now: () => number;
}

export type ReleaseProgress = 'released' | 'stopping';

export interface HostPower {
  /** Sets a one-time PXE boot and powers the host on (restarts it if it was on); the phase it is in after. */
  provision(inventory: HostInventory, host: HostRow): Promise<MachinePhase>;
  /** The phase of a claimed host from its PowerState: running when On, pending until then. */
  observe(host: HostRow): Promise<MachinePhase>;
  /** Moves a deprovisioning host on: ForceOff while it is on; once Off, clears the boot override and frees it. */
  advanceRelease(inventory: HostInventory, host: HostRow): Promise<ReleaseProgress>;
}

function phaseOf(power: PowerState): MachinePhase {
  return power === 'On' ? 'running' : 'pending';
}

export function createHostPower(deps: HostPowerDeps): HostPower {
  const credentialsOf = async (host: HostRow): Promise<BmcCredentials> => {
    try {
      return await deps.resolveCredentials(host.credentialsRef);
    } catch (error) {
      if (isProviderError(error)) throw error;
      const reason = error instanceof Error ? error.message : 'unknown error';
      throw new ProviderError('invalid', `${CLOUD}: cannot read the BMC credentials secret "${host.credentialsRef}" of host ${host.name} (${reason})`);
    }
  };
  const bmcOf = async (host: HostRow): Promise<BmcTarget> => ({
    host: host.name,
    baseUrl: deps.endpointOverride ?? host.bmcUrl,
    systemPath: host.systemPath,
    credentialsRef: host.credentialsRef,
    credentials: await credentialsOf(host),
  });

  return {
    async provision(inventory, host) {
      const bmc = await bmcOf(host);
      const system = await deps.redfish.getSystem(bmc);
      if (host.powerOnRequestedAt !== null) {
        inventory.markProvisioned(host);
        return phaseOf(system.powerState);
      }
      await deps.redfish.setBootOverride(bmc, { target: 'Pxe', enabled: 'Once' });
      // A host left on would never see the boot override: it has to restart into it.
      await deps.redfish.reset(bmc, system.resetTarget, system.powerState === 'Off' ? 'On' : 'ForceRestart');
      inventory.markPowerOnRequested(host, deps.now());
      inventory.markProvisioned(host);
      return 'pending';
    },

    async observe(host) {
      return phaseOf((await deps.redfish.getSystem(await bmcOf(host))).powerState);
    },

    async advanceRelease(inventory, host) {
      const bmc = await bmcOf(host);
      const system = await deps.redfish.getSystem(bmc);
      if (system.powerState === 'Off') {
        // All a BMC can wipe: no PXE boot left armed for whoever claims the host next.
        await deps.redfish.setBootOverride(bmc, { target: 'None', enabled: 'Disabled' });
        inventory.release(host, deps.now());
        return 'released';
      }
      const lastRequest = host.powerOffRequestedAt;
      if (lastRequest === null || deps.now() - lastRequest >= deps.powerOffRetryMs) {
        await deps.redfish.reset(bmc, system.resetTarget, 'ForceOff');
        inventory.markPowerOffRequested(host, deps.now());
      }
      return 'stopping';
    },
  };
}
