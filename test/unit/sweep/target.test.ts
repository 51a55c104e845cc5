/** Which targets are one for the one-schedule-per-target rule: a table, the expected sameness in the row. */
import { describe, expect, it } from 'vitest';
import type { ProviderTarget } from '../../../workflows/entity/activities-api';
import { describeSweepTarget, sweepTargetKey } from '../../../workflows/sweep/definitions';

const secret = (namespace: string, name: string) => ({ credentialsRef: { namespace, name } });

describe('sweepTargetKey', () => {
  const rows: { name: string; a: ProviderTarget; b: ProviderTarget; same: boolean }[] = [
    { name: 'same provider, secret and region', a: { platform: 'aws', region: 'us-east-1', ...secret('team-a', 'prod') }, b: { platform: 'aws', region: 'us-east-1', ...secret('team-a', 'prod') }, same: true },
    { name: 'another region', a: { platform: 'aws', region: 'us-east-1', ...secret('team-a', 'prod') }, b: { platform: 'aws', region: 'us-west-2', ...secret('team-a', 'prod') }, same: false },
    { name: 'another secret', a: { platform: 'aws', region: 'us-east-1', ...secret('team-a', 'prod') }, b: { platform: 'aws', region: 'us-east-1', ...secret('team-a', 'dev') }, same: false },
    { name: 'a secret of that name in another namespace', a: { platform: 'aws', region: 'us-east-1', ...secret('team-a', 'prod') }, b: { platform: 'aws', region: 'us-east-1', ...secret('team-b', 'prod') }, same: false },
    { name: "the worker's own credentials, whatever the namespace", a: { platform: 'gcp', region: 'europe-west1' }, b: { platform: 'gcp', region: 'europe-west1' }, same: true },
    { name: "a secret against the worker's own credentials", a: { platform: 'azure', region: 'eastus' }, b: { platform: 'azure', region: 'eastus', ...secret('default', 'prod') }, same: false },
    { name: 'another provider', a: { platform: 'aws', region: 'us-east-1' }, b: { platform: 'gcp', region: 'us-east-1' }, same: false },
    { name: 'bare metal sites are regions', a: { platform: 'baremetal', region: 'lab-1' }, b: { platform: 'baremetal', region: 'lab-2' }, same: false },
    { name: 'vSphere ignores the region', a: { platform: 'vsphere', region: 'dc0', ...secret('default', 'vc') }, b: { platform: 'vsphere', region: 'dc1', ...secret('default', 'vc') }, same: true },
    { name: 'the simulated cloud has one region', a: { platform: 'simulated', region: 'local-1' }, b: { platform: 'simulated', region: '' }, same: true },
  ];
  it.each(rows)('$name', ({ a, b, same }) => {
    expect(sweepTargetKey(a) === sweepTargetKey(b)).toBe(same);
  });

  it('describes a target as a person names it', () => {
    expect(describeSweepTarget({ platform: 'aws', region: 'us-east-1', ...secret('default', 'aws-prod') })).toBe('aws us-east-1 with secret default/aws-prod');
    expect(describeSweepTarget({ platform: 'vsphere', region: 'dc0' })).toBe("vsphere with the worker's own credentials");
  });
});
