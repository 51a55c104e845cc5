import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloudNameProblems, maxMachineNameLength } from '../../providers/cloud-names';
import { cloudMachineName, infraIdFor } from '../../workflows/planners/names';

// Each cloud's rule for the machine's name, written from its public documentation.
const CLOUD_RULES: Record<string, (name: string) => boolean> = {
  gce: (name) => /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name),
  // The VM resource name, and the Linux computer name Azure derives from it by default.
  azureVmResource: (name) => /^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9_])?$/.test(name),
  azureLinuxComputer: (name) => /^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/.test(name),
  vsphereVm: (name) => name.length >= 1 && name.length <= 80 && !/[%&*$#@!\\/:?"<>|;']/.test(name),
  ec2NameTag: (name) => name.length <= 256 && !/^aws:/i.test(name),
};

const legalEverywhere = (name: string): boolean => Object.values(CLOUD_RULES).every((rule) => rule(name));

const lower = 'abcdefghijklmnopqrstuvwxyz';
const anyChars = `${lower}0123456789-._:/ABCZ%`;
const from = (alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet.split('')), { minLength, maxLength }).map((list) => list.join(''));

const infraId = fc.tuple(fc.constantFrom(...lower.split('')), from(`${lower}0123456789-`, 0, 40)).map(([head, rest]) => head + rest);

describe('cloudNameProblems', () => {
  it('accepts only names legal under every cloud\u2019s rule', () => {
    fc.assert(
      fc.property(fc.oneof(infraId, from(anyChars, 0, 40)), from(anyChars, 0, 90), (id, machine) => {
        if (cloudNameProblems(id, machine).length === 0) expect(legalEverywhere(cloudMachineName(id, machine))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every name legal everywhere (so the property above is not vacuous)', () => {
    const name = from(`${lower}0123456789-`, 0, 60);
    fc.assert(
      fc.property(infraId, name, (id, machine) => {
        expect(cloudNameProblems(id, machine).length === 0).toBe(legalEverywhere(cloudMachineName(id, machine)));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts the names Slipway makes for a real infra ID', () => {
    const id = infraIdFor('production-eu-west', '7f1c2d3e-0000-4000-8000-000000000001');
    expect(cloudNameProblems(id, 'master-0')).toEqual([]);
    expect(cloudNameProblems(id, 'workers-5b7c9-0')).toEqual([]);
  });

  it.each([
    ['infra-abcde', 'master-0', []],
    ['infra-abcde', 'x'.repeat(maxMachineNameLength('infra-abcde')), []],
    ['infra-abcde', 'x'.repeat(maxMachineNameLength('infra-abcde') + 1), ['GCP']],
    ['infra-abcde', 'x'.repeat(65), ['GCP', 'Azure']],
    ['infra-abcde', 'x'.repeat(80), ['GCP', 'Azure', 'vSphere']],
    ['infra-abcde', 'Master-0', ['GCP']],
    ['infra-abcde', 'master_0', ['GCP', 'Azure']],
    ['infra-abcde', 'master.0', ['GCP']],
    ['infra-abcde', 'master-', ['GCP', 'Azure']],
    ['infra-abcde', '', ['GCP', 'Azure']],
    ['infra-abcde', 'a/b', ['GCP', 'Azure', 'vSphere']],
    ['aws:x', 'm', ['GCP', 'Azure', 'vSphere', 'AWS']],
  ])('%s + %s -> problems on %j', (id, machine, clouds) => {
    const problems = cloudNameProblems(id, machine);
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(clouds);
  });

  it('says what to do: the longest machine name that fits', () => {
    const [problem] = cloudNameProblems('infra-abcde', 'x'.repeat(60));
    expect(problem).toMatch(/^GCP: .* is 72 characters, but a Compute Engine instance name may have at most 63; use a machine name of at most 51 characters/);
  });

  it('says which part has the bad characters', () => {
    const [problem] = cloudNameProblems('infra-abcde', 'Master-0');
    expect(problem).toMatch(/^GCP: .*lowercase.*use a machine name .*lowercase letters, digits and '-'/);
    expect(cloudNameProblems('Infra', 'm')[0]).toMatch(/cluster name/);
  });
});

describe('maxMachineNameLength', () => {
  it('is the GCE limit less the infra ID and its dash', () => {
    expect(maxMachineNameLength('infra-abcde')).toBe(63 - 11 - 1);
    expect(maxMachineNameLength('a'.repeat(33))).toBe(29);
    expect(maxMachineNameLength('a'.repeat(70))).toBe(0);
  });

  it('is exactly the boundary for legal names', () => {
    fc.assert(
      fc.property(infraId.filter((id) => !id.endsWith('-')), (id) => {
        const max = maxMachineNameLength(id);
        fc.pre(max > 0);
        expect(cloudNameProblems(id, 'm'.repeat(max))).toEqual([]);
        expect(cloudNameProblems(id, 'm'.repeat(max + 1))).not.toEqual([]);
      }),
    );
  });
});
