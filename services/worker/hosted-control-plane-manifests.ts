/**
 * A hosted cluster's control plane as Kubernetes objects for a management cluster, HyperShift's
 * way: a namespace of its own holding an etcd StatefulSet, a kube-apiserver Deployment, their
 * Services, the PKI Secret and the admin kubeconfig Secret. Pure: the same input renders the
 * same objects, which server-side apply then makes so (hosted-kubernetes.ts).
 *
 * The CA's private key is never rendered: it stays in Slipway's secret store, where new client
 * certificates are signed.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { HostedClusterRef } from '../../workflows/hosted-cluster/control-plane-api';
import { KUBE_APISERVER_SERVICE, KUBE_APISERVER_SERVICE_PORT, controlPlaneNamespace } from './hosted-names';
import { ADMIN_USER, type HostedPki } from './hosted-pki';
import { renderKubeconfig } from './hosted-secrets';

export interface ControlPlaneImages {
  readonly etcd: string;
  /** The kube-apiserver image of the given version, e.g. registry.k8s.io/kube-apiserver:v1.34.2. */
  kubeAPIServer(version: string): string;
}

export const DEFAULT_IMAGES: ControlPlaneImages = {
  etcd: 'registry.k8s.io/etcd:3.6.6-0',
  kubeAPIServer: (version) => `registry.k8s.io/kube-apiserver:v${version.replace(/^v/, '')}`,
};

export interface RenderInput {
  readonly ref: HostedClusterRef;
  readonly kubernetesVersion: string;
  readonly pki: Pick<HostedPki, 'caCertificate' | 'servingCertificate' | 'servingKey' | 'serviceAccountKey' | 'serviceAccountPublicKey' | 'adminCertificate' | 'adminKey'>;
  readonly images?: ControlPlaneImages;
}

/** A rendered object with the fields every one of them has. */
export interface RenderedObject extends KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Record<string, string>; readonly annotations?: Record<string, string> };
}

export const RENDERED_NAMES = {
  pkiSecret: 'control-plane-pki',
  kubeconfigSecret: 'admin-kubeconfig',
  etcd: 'etcd',
  kubeAPIServer: KUBE_APISERVER_SERVICE,
} as const;

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'slipway' } as const;
const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;
const PKI_MOUNT = '/etc/kubernetes/pki';

export function apiServerServiceURL(ref: HostedClusterRef): string {
  return `https://${KUBE_APISERVER_SERVICE}.${controlPlaneNamespace(ref)}.svc:${KUBE_APISERVER_SERVICE_PORT}`;
}

function labels(ref: HostedClusterRef, component?: string): Record<string, string> {
  return { ...MANAGED_BY, 'slipway.dev/hosted-cluster-uid': ref.uid, ...(component ? { 'app.kubernetes.io/component': component } : {}) };
}

export function renderHostedControlPlane(input: RenderInput): RenderedObject[] {
  const { ref, pki } = input;
  const images = input.images ?? DEFAULT_IMAGES;
  const namespace = controlPlaneNamespace(ref);
  const meta = (name: string, component?: string) => ({ name, namespace, labels: labels(ref, component) });
  const etcdPeer = (host: string) => `http://${host}:${ETCD_PEER_PORT}`;
  const etcdHost = `${RENDERED_NAMES.etcd}-0.${RENDERED_NAMES.etcd}.${namespace}.svc`;
  const selector = (component: string) => ({ 'app.kubernetes.io/component': component, 'slipway.dev/hosted-cluster-uid': ref.uid });

  const etcdArgs = [
    '--name=etcd-0',
    '--data-dir=/var/lib/etcd',
    `--listen-client-urls=http://0.0.0.0:${ETCD_CLIENT_PORT}`,
    `--advertise-client-urls=http://${etcdHost}:${ETCD_CLIENT_PORT}`,
    `--listen-peer-urls=http://0.0.0.0:${ETCD_PEER_PORT}`,
    `--initial-advertise-peer-urls=${etcdPeer(etcdHost)}`,
    `--initial-cluster=etcd-0=${etcdPeer(etcdHost)}`,
  ];
  const apiServerArgs = [
    `--etcd-servers=http://${etcdHost}:${ETCD_CLIENT_PORT}`,
    `--secure-port=${KUBE_APISERVER_SERVICE_PORT}`,
    `--tls-cert-file=${PKI_MOUNT}/apiserver.crt`,
    `--tls-private-key-file=${PKI_MOUNT}/apiserver.key`,
    `--client-ca-file=${PKI_MOUNT}/ca.crt`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${PKI_MOUNT}/sa.pub`,
    `--service-account-signing-key-file=${PKI_MOUNT}/sa.key`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--service-cluster-ip-range=10.96.0.0/24',
  ];

  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: labels(ref), annotations: { 'slipway.dev/hosted-cluster': `${ref.namespace}/${ref.name}` } },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(RENDERED_NAMES.pkiSecret),
      type: 'Opaque',
      stringData: { 'ca.crt': pki.caCertificate, 'apiserver.crt': pki.servingCertificate, 'apiserver.key': pki.servingKey, 'sa.key': pki.serviceAccountKey, 'sa.pub': pki.serviceAccountPublicKey },
    } as RenderedObject,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(RENDERED_NAMES.kubeconfigSecret),
      type: 'Opaque',
      stringData: { kubeconfig: renderKubeconfig({ clusterName: ref.name, server: apiServerServiceURL(ref), caCertificate: pki.caCertificate, user: ADMIN_USER, clientCertificate: pki.adminCertificate, clientKey: pki.adminKey }) },
    } as RenderedObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(RENDERED_NAMES.etcd, 'etcd'),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: selector('etcd'),
        ports: [
          { name: 'client', port: ETCD_CLIENT_PORT, targetPort: ETCD_CLIENT_PORT },
          { name: 'peer', port: ETCD_PEER_PORT, targetPort: ETCD_PEER_PORT },
        ],
      },
    } as RenderedObject,
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(RENDERED_NAMES.etcd, 'etcd'),
      spec: {
        replicas: 1,
        serviceName: RENDERED_NAMES.etcd,
        selector: { matchLabels: selector('etcd') },
        template: {
          metadata: { labels: labels(ref, 'etcd') },
          spec: {
            containers: [
              {
                name: 'etcd',
                image: images.etcd,
                command: ['etcd', ...etcdArgs],
                ports: [
                  { name: 'client', containerPort: ETCD_CLIENT_PORT },
                  { name: 'peer', containerPort: ETCD_PEER_PORT },
                ],
                readinessProbe: { httpGet: { path: '/health', port: ETCD_CLIENT_PORT } },
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    } as RenderedObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(RENDERED_NAMES.kubeAPIServer, 'kube-apiserver'),
      spec: { type: 'ClusterIP', selector: selector('kube-apiserver'), ports: [{ name: 'https', port: KUBE_APISERVER_SERVICE_PORT, targetPort: KUBE_APISERVER_SERVICE_PORT }] },
    } as RenderedObject,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(RENDERED_NAMES.kubeAPIServer, 'kube-apiserver'),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector('kube-apiserver') },
        template: {
          metadata: { labels: labels(ref, 'kube-apiserver') },
          spec: {
            // The hosted kube-apiserver needs no token of the management cluster.
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'kube-apiserver',
                image: images.kubeAPIServer(input.kubernetesVersion),
                command: ['kube-apiserver', ...apiServerArgs],
                ports: [{ name: 'https', containerPort: KUBE_APISERVER_SERVICE_PORT }],
                readinessProbe: { httpGet: { path: '/readyz', port: KUBE_APISERVER_SERVICE_PORT, scheme: 'HTTPS' } },
                volumeMounts: [{ name: 'pki', mountPath: PKI_MOUNT, readOnly: true }],
              },
            ],
            volumes: [{ name: 'pki', secret: { secretName: RENDERED_NAMES.pkiSecret, defaultMode: 0o400 } }],
          },
        },
      },
    } as RenderedObject,
  ];
}

/** The kind, name and namespace of every rendered object, in apply order: all a delete needs, and no key. */
export function renderedObjectHeaders(ref: HostedClusterRef): KubernetesObject[] {
  const noKeys = { caCertificate: '', servingCertificate: '', servingKey: '', serviceAccountKey: '', serviceAccountPublicKey: '', adminCertificate: '', adminKey: '' };
  return renderHostedControlPlane({ ref, kubernetesVersion: '0.0.0', pki: noKeys }).map((object) => ({
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) },
  }));
}
