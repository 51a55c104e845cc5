/**
 * Whether the cloud-visible machine name `${infraId}-${machineName}` (workflows/planners/names.ts
 * cloudMachineName) is legal on every cloud Slipway supports, checked at validation so that a
 * bad name is refused before any cloud sees it. Pure, no imports: safe in the workflow sandbox.
 *
 * Rules and their sources:
 * - GCE instance name: 1-63 characters matching [a-z]([-a-z0-9]*[a-z0-9])? (Compute Engine
 *   API, Instance.name; RFC 1035 label).
 * - Azure Linux VM: 1-64 characters. The resource name allows alphanumerics, '_', '.', '-',
 *   starting with an alphanumeric; the Linux computer name (set from the VM name) allows
 *   alphanumerics, '.' and '-' and may not end with '.' or '-' (learn.microsoft.com "Naming
 *   rules and restrictions for Azure resources", Microsoft.Compute/virtualMachines). We require
 *   both: [A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?.
 * - vSphere VM: at most 80 characters (vCenter 5.0 and later, VMware KB 2051649), none of the
 *   characters vCenter does not escape in names (VMware KB 2046088).
 * - EC2 Name tag: a tag value, at most 256 characters, not starting with 'aws:' (EC2 tag
 *   restrictions).
 */

interface NameLimit {
  readonly cloud: string;
  readonly what: string;
  readonly maxLength: number;
}

const LENGTH_LIMITS: readonly NameLimit[] = [
  { cloud: 'GCP', what: 'a Compute Engine instance name', maxLength: 63 },
  { cloud: 'Azure', what: 'a Linux VM name', maxLength: 64 },
  { cloud: 'vSphere', what: 'a VM name', maxLength: 80 },
  { cloud: 'AWS', what: 'an EC2 Name tag', maxLength: 256 },
];

/** The shortest limit across clouds; every other character rule is no looser than GCE's. */
const NAME_LIMIT = Math.min(...LENGTH_LIMITS.map((limit) => limit.maxLength));

interface CharacterRule {
  readonly cloud: string;
  readonly rule: string;
  readonly legal: (name: string) => boolean;
}

const VSPHERE_UNESCAPED = /[%&*$#@!\\/:?"<>|;']/;

const CHARACTER_RULES: readonly CharacterRule[] = [
  {
    cloud: 'GCP',
    rule: "a Compute Engine instance name must be lowercase letters, digits and '-', start with a letter and end with a letter or digit",
    legal: (name) => /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name),
  },
  {
    cloud: 'Azure',
    rule: "a Linux VM name must be letters, digits, '.' and '-', start with a letter or digit and not end with '.' or '-'",
    legal: (name) => /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name),
  },
  {
    cloud: 'vSphere',
    rule: "a VM name must not contain any of % & * $ # @ ! \\ / : ? \" < > | ; ' (vCenter does not escape them)",
    legal: (name) => !VSPHERE_UNESCAPED.test(name),
  },
  {
    cloud: 'AWS',
    rule: "an EC2 Name tag may not start with 'aws:', which AWS reserves",
    legal: (name) => !/^aws:/i.test(name),
  },
];

const INFRA_ID = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MACHINE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The longest machine name that is legal on every cloud for this infra ID (0 if none is). */
export function maxMachineNameLength(infraId: string): number {
  return Math.max(0, NAME_LIMIT - infraId.length - 1);
}

function characterFix(infraId: string, machineName: string): string {
  const fixes: string[] = [];
  if (!INFRA_ID.test(infraId)) {
    fixes.push(`the infra ID "${infraId}" comes from the cluster name: use a cluster name of lowercase letters, digits and '-' that starts with a letter`);
  }
  if (!MACHINE_NAME.test(machineName)) {
    fixes.push(`use a machine name (and a MachineDeployment name, which machine names derive from) of lowercase letters, digits and '-' that starts and ends with a letter or digit`);
  }
  return fixes.length > 0 ? fixes.join('; ') : "use lowercase letters, digits and '-' only";
}

function lengthFix(infraId: string): string {
  const max = maxMachineNameLength(infraId);
  if (max === 0) return `the infra ID "${infraId}" alone is too long: use a shorter cluster name`;
  return `use a machine name of at most ${max} characters for infra ID "${infraId}" (shorten the MachineDeployment name its machines are named after)`;
}

/** Human-readable problems with the cloud-visible name of this machine; empty when it is legal everywhere. */
export function cloudNameProblems(infraId: string, machineName: string): string[] {
  const name = `${infraId}-${machineName}`;
  const lengthProblems = LENGTH_LIMITS.filter((limit) => name.length > limit.maxLength).map(
    (limit) => `${limit.cloud}: "${name}" is ${name.length} characters, but ${limit.what} may have at most ${limit.maxLength}; ${lengthFix(infraId)}`,
  );
  const characterProblems = CHARACTER_RULES.filter((rule) => !rule.legal(name)).map(
    (rule) => `${rule.cloud}: "${name}" is not allowed: ${rule.rule}; ${characterFix(infraId, machineName)}`,
  );
  return [...lengthProblems, ...characterProblems];
}
