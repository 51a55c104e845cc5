/** A workflow that only runs the crds validation and conversion functions, to prove they work in the sandbox. */
import type { ClusterDeployment } from '../../../crds/schemas/cluster-deployment';
import { convertManifest } from '../../../crds/upstream/index';
import { validateClusterDeploymentPatch, validateObject } from '../../../crds/validate';
import { KINDS } from '../../../crds/schemas/index';

export interface SandboxInput {
  readonly object: unknown;
  readonly manifests: readonly unknown[];
  readonly patches: readonly unknown[];
}

export async function crdsInSandbox(input: SandboxInput): Promise<unknown> {
  const validated = validateObject('ClusterDeployment', input.object);
  const converted = input.manifests.map((manifest) => convertManifest(manifest));
  const patched = validated.ok ? input.patches.map((patch) => validateClusterDeploymentPatch(validated.object as ClusterDeployment, patch)) : [];
  return { validated, converted, patched, sharedSchemas: Object.isFrozen(KINDS) && Object.isFrozen(KINDS.ClusterDeployment) };
}
