/**
 * What a release image says: the OpenShift (or Kubernetes) version it carries, and the
 * Kubernetes version the hosted control plane runs for it. Pure; runs in the workflow sandbox.
 */

export type ReleaseReading =
  | { readonly ok: true; readonly version: string; readonly kubernetesVersion: string }
  | { readonly ok: false; readonly message: string };

/** OpenShift 4.y ships Kubernetes 1.(y+13): 4.16 runs 1.29, 4.21 runs 1.34. */
const OPENSHIFT_TO_KUBERNETES_MINOR = 13;
/** The oldest OpenShift minor HyperShift still hosts. */
const OLDEST_OPENSHIFT_MINOR = 14;

/**
 * Reads a release image's tag: `ocp-release:4.20.1-x86_64` is OpenShift 4.20.1 (Kubernetes
 * 1.33), `kube:v1.34.2` is Kubernetes 1.34.2 itself. A digest-only reference names no version,
 * so it cannot be checked and is refused.
 */
export function readReleaseImage(image: string): ReleaseReading {
  const fix = 'Use a release image whose tag names its version, e.g. quay.io/openshift-release-dev/ocp-release:4.20.1-x86_64.';
  if (image.includes('@')) return { ok: false, message: `release image ${image} is pinned by digest, which names no version. ${fix}` };
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : '';
  if (tag === '') return { ok: false, message: `release image ${image} has no tag. ${fix}` };
  const kubernetes = /^v?1\.(\d+)\.(\d+)$/.exec(tag);
  if (kubernetes) return { ok: true, version: `1.${kubernetes[1]}.${kubernetes[2]}`, kubernetesVersion: `1.${kubernetes[1]}.${kubernetes[2]}` };
  const openshift = /^4\.(\d+)\.(\d+)(?:-[a-z0-9_]+)?$/.exec(tag);
  if (!openshift) return { ok: false, message: `release image ${image} has the tag "${tag}", which is not an OpenShift 4.y.z or Kubernetes v1.y.z version. ${fix}` };
  const minor = Number(openshift[1]);
  if (minor < OLDEST_OPENSHIFT_MINOR) return { ok: false, message: `OpenShift 4.${minor} is older than the oldest release hosted control planes run (4.${OLDEST_OPENSHIFT_MINOR}). Choose a release from 4.${OLDEST_OPENSHIFT_MINOR} on.` };
  return { ok: true, version: `4.${minor}.${openshift[2]}`, kubernetesVersion: `1.${minor + OPENSHIFT_TO_KUBERNETES_MINOR}` };
}

/** True when a running kube-apiserver's version (e.g. "v1.34.2") is the Kubernetes version asked for ("1.34" or "1.34.2"). */
export function runsKubernetesVersion(reported: string | undefined, wanted: string): boolean {
  if (reported === undefined) return false;
  const running = reported.replace(/^v/, '').split(/[-+]/)[0] ?? '';
  return running === wanted || running.startsWith(`${wanted}.`);
}
