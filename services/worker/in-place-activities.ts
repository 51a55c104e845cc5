/**
 * InPlace upgrades of a NodePool's machines: the machine stays, and the release it runs
 * changes. Only the simulated provider's machines can do that; there the release a machine
 * runs is the tag slipway.dev/release-version, which a later update replaces. Every other
 * provider refuses, naming what to set instead (the API refuses InPlace for them already).
 */
import { ApplicationFailure } from '@temporalio/common';
import { MACHINE_FAILED } from '../../workflows/entity/activities-api';
import type { InPlaceActivities } from '../../workflows/node-pool/activities-api';
import { cloudMachineName } from '../../workflows/planners/names';
import type { AdapterResolver } from './cluster-activities';
import { withRetryClassification } from './errors';

export const RELEASE_VERSION_TAG = 'slipway.dev/release-version';

export function createInPlaceActivities(deps: { readonly adapters: AdapterResolver }): InPlaceActivities {
  return {
    async updateMachineInPlace(input) {
      if (input.target.platform !== 'simulated') {
        throw ApplicationFailure.nonRetryable(`${input.target.platform} machines cannot be updated in place; set spec.management.upgradeType to Replace.`, 'InPlaceUnsupported');
      }
      const adapter = await deps.adapters(input.target);
      const name = cloudMachineName(input.infraId, input.machineName);
      const machine = await withRetryClassification('describe machine', () => adapter.describeMachine(name));
      if (!machine) throw ApplicationFailure.nonRetryable(`machine ${name} is not in the cloud, so it cannot be updated in place; it will be replaced.`, MACHINE_FAILED);
      if (machine.tags[RELEASE_VERSION_TAG] === input.version) return;
      await withRetryClassification('update machine in place', () => adapter.tagResource({ kind: 'machine', id: machine.providerId, name, tags: machine.tags }, { [RELEASE_VERSION_TAG]: input.version }));
    },
  };
}
