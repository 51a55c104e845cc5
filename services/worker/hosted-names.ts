/**
 * Names of what a hosted cluster's control plane leaves on the management side: its secrets,
 * its supervisor record and its namespace in a management cluster. Each derives from the
 * HostedCluster's namespace, name and uid, so a recreated object of the same name never finds
 * its predecessor's PKI, and every name is a DNS label (lowercase letters, digits, '-', at most 63).
 */
import { createHash } from 'node:crypto';
import type { ControlPlaneSecrets, HostedClusterRef } from '../../workflows/hosted-cluster/control-plane-api';

const DNS_LABEL_MAX = 63;
const SUFFIX_LENGTH = 10;

function suffixOf(ref: HostedClusterRef): string {
  return createHash('sha256').update(`${ref.namespace}\n${ref.name}\n${ref.uid}`).digest('hex').slice(0, SUFFIX_LENGTH);
}

/** A readable part and a suffix unique to the ref, within one DNS label whatever the ending. */
function labelFor(readable: string, ref: HostedClusterRef, ending = ''): string {
  const room = DNS_LABEL_MAX - SUFFIX_LENGTH - 1 - ending.length;
  const cleaned = readable.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, room).replace(/^-+|-+$/g, '');
  return `${cleaned || 'hc'}-${suffixOf(ref)}${ending}`;
}

/** Secret-store names, in the HostedCluster's own namespace. */
export function hostedSecretNames(ref: HostedClusterRef): ControlPlaneSecrets {
  return { pkiSecretName: labelFor(ref.name, ref, '-pki'), adminKubeconfigSecretName: labelFor(ref.name, ref, '-admin-kubeconfig') };
}

/** The supervisor's key for a local control plane, which also names its state folder. */
export function controlPlaneKey(ref: HostedClusterRef): string {
  return labelFor(`${ref.namespace}-${ref.name}`, ref);
}

/** The management-cluster namespace a kubernetes-placed control plane lives in (HyperShift: clusters-NAME). */
export function controlPlaneNamespace(ref: HostedClusterRef): string {
  return labelFor(`hcp-${ref.namespace}-${ref.name}`, ref);
}

/** The in-cluster Service of a kubernetes-placed kube-apiserver. */
export const KUBE_APISERVER_SERVICE = 'kube-apiserver';
export const KUBE_APISERVER_SERVICE_PORT = 6443;

/** Every name the API server's certificate must answer to, in either placement. */
export function apiServerNames(ref: HostedClusterRef): { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] } {
  const namespace = controlPlaneNamespace(ref);
  return {
    dnsNames: [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      `${KUBE_APISERVER_SERVICE}.${namespace}.svc`,
      `${KUBE_APISERVER_SERVICE}.${namespace}.svc.cluster.local`,
    ],
    // 10.96.0.1: the first address of the hosted cluster's service range, its own `kubernetes` Service.
    ipAddresses: ['127.0.0.1', '10.96.0.1'],
  };
}
