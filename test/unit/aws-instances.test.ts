import { describe, expect, it } from 'vitest';
import { clientTokenOf, instanceIdOf, machinePhase, providerIdOf, toMachine } from '../../providers/aws/instances';

describe('EC2 instances as machines', () => {
  it('maps every EC2 instance state onto a machine phase', () => {
    expect(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'].map(machinePhase)).toEqual(['pending', 'running', 'stopping', 'terminated', 'failed', 'failed']);
  });

  it('writes and reads providerIds in the Cluster API form', () => {
    const providerId = providerIdOf({ InstanceId: 'i-0123456789abcdef0', Placement: { AvailabilityZone: 'eu-west-1b' } });
    expect(providerId).toBe('aws:///eu-west-1b/i-0123456789abcdef0');
    expect(instanceIdOf(providerId)).toBe('i-0123456789abcdef0');
    expect(instanceIdOf('i-0123456789abcdef0')).toBe('i-0123456789abcdef0');
    expect(instanceIdOf('azure:///subscriptions/x/vm')).toBeUndefined();
  });

  it('keeps a ClientToken EC2 accepts, and hashes one it would refuse', () => {
    expect(clientTokenOf('a'.repeat(64))).toBe('a'.repeat(64));
    expect(clientTokenOf('a'.repeat(65))).toMatch(/^[0-9a-f]{64}$/);
    expect(clientTokenOf('tök')).toMatch(/^[0-9a-f]{64}$/);
    expect(clientTokenOf('a'.repeat(65))).toBe(clientTokenOf('a'.repeat(65)));
  });

  it('decodes canonical tags and ignores tags that are not Slipway\'s', () => {
    const machine = toMachine({
      InstanceId: 'i-1',
      Placement: { AvailabilityZone: 'us-east-1a' },
      State: { Name: 'running' },
      Tags: [
        { Key: 'Name', Value: 'c1-m0' },
        { Key: 'slipway.dev/cluster', Value: 'c1' },
        { Key: 'team', Value: 'infra' },
      ],
    });
    expect(machine).toMatchObject({ name: 'c1-m0', phase: 'running', tags: { 'slipway.dev/cluster': 'c1' } });
    expect(Object.keys(machine.tags)).toEqual(['slipway.dev/cluster']);
  });
});
