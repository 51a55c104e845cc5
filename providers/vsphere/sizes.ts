/**
 * vSphere has no instance types: a machine's instanceType is read as a size, either a name from
 * the table below or an explicit `<vCPUs>cpu-<GiB>gb` (4cpu-16gb), and set on the clone as
 * numCPUs and memoryMB.
 */
export interface MachineSize {
  readonly numCpus: number;
  readonly memoryMb: number;
}

const GIB_IN_MB = 1024;

export const NAMED_SIZES: Readonly<Record<string, MachineSize>> = {
  // The role names are the sizes a ClusterDeployment's pools get when they name none; their
  // values are the OpenShift vSphere install-config sample's control plane and compute pools.
  'control-plane': { numCpus: 4, memoryMb: 16 * GIB_IN_MB },
  worker: { numCpus: 2, memoryMb: 8 * GIB_IN_MB },
  small: { numCpus: 2, memoryMb: 8 * GIB_IN_MB },
  medium: { numCpus: 4, memoryMb: 16 * GIB_IN_MB },
  large: { numCpus: 8, memoryMb: 32 * GIB_IN_MB },
  xlarge: { numCpus: 16, memoryMb: 64 * GIB_IN_MB },
};

/** vSphere 8's limits for one VM: 768 vCPUs and 24 TiB of memory. */
const MAX_CPUS = 768;
const MAX_MEMORY_GIB = 24 * 1024;

export const SIZE_SYNTAX = `one of ${Object.keys(NAMED_SIZES).join(', ')}, or <vCPUs>cpu-<GiB>gb such as 4cpu-16gb`;

/** The size an instanceType names; undefined when it names none. */
export function machineSize(instanceType: string): MachineSize | undefined {
  const named = Object.hasOwn(NAMED_SIZES, instanceType) ? NAMED_SIZES[instanceType] : undefined;
  if (named) return named;
  const explicit = /^([1-9]\d{0,3})cpu-([1-9]\d{0,5})gb$/.exec(instanceType);
  if (!explicit) return undefined;
  const numCpus = Number(explicit[1]);
  const memoryGib = Number(explicit[2]);
  if (numCpus > MAX_CPUS || memoryGib > MAX_MEMORY_GIB) return undefined;
  return { numCpus, memoryMb: memoryGib * GIB_IN_MB };
}
