/** The control plane rendered for a management cluster: what objects, where, wired to each other, and which keys leave the secret store. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { controlPlaneNamespace } from '../../services/worker/hosted-names';
import { generateHostedPki, type HostedPki } from '../../services/worker/hosted-pki';
import { apiServerServiceURL, renderHostedControlPlane, renderedObjectHeaders, type RenderedObject } from '../../services/worker/hosted-control-plane-manifests';
import { apiServerNames } from '../../services/worker/hosted-names';

const ref = { namespace: 'team-a', name: 'demo', uid: '0b6f9a52-4444-4000-8000-000000000001' };
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

interface PodOwner {
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string; command: string[] }[]; volumes?: { secret: { secretName: string } }[] } } };
}

const find = (objects: RenderedObject[], kind: string, name: string) => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found;
};
const podOwner = (object: RenderedObject) => object as unknown as PodOwner;
const selectorOf = (object: RenderedObject) => (object as unknown as { spec: { selector: Record<string, string> } }).spec.selector;
const stringData = (object: RenderedObject) => (object as unknown as { stringData: Record<string, string> }).stringData;

describe('renderHostedControlPlane', () => {
  let pki: HostedPki;
  let objects: RenderedObject[];
  beforeAll(async () => {
    pki = await generateHostedPki({ clusterName: ref.name, serverNames: apiServerNames(ref) });
    objects = renderHostedControlPlane({ ref, pki, kubernetesVersion: '1.34.2' });
  });

  it('renders a namespace of its own, then Secrets, then etcd and kube-apiserver with their Services', () => {
    const namespace = controlPlaneNamespace(ref);
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      `Namespace/${namespace}`,
      'Secret/control-plane-pki',
      'Secret/admin-kubeconfig',
      'Service/etcd',
      'StatefulSet/etcd',
      'Service/kube-apiserver',
      'Deployment/kube-apiserver',
    ]);
    for (const object of objects.slice(1)) expect(object.metadata.namespace).toBe(namespace);
    for (const object of objects) expect(object.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/hosted-cluster-uid': ref.uid });
  });

  it('never renders the CA key, and renders every other key the API server reads', () => {
    expect(JSON.stringify(objects)).not.toContain(pki.caKey.split('\n')[1]);
    const files = stringData(find(objects, 'Secret', 'control-plane-pki'));
    expect(files).toEqual({ 'ca.crt': pki.caCertificate, 'apiserver.crt': pki.servingCertificate, 'apiserver.key': pki.servingKey, 'sa.key': pki.serviceAccountKey, 'sa.pub': pki.serviceAccountPublicKey });
    const command = podOwner(find(objects, 'Deployment', 'kube-apiserver')).spec.template.spec.containers[0]!.command;
    const mounted = command.flatMap((arg) => /=\/etc\/kubernetes\/pki\/(.+)$/.exec(arg)?.[1] ?? []);
    expect(mounted.sort()).toEqual(Object.keys(files).sort());
  });

  it('gives an admin kubeconfig for the Service address that trusts the cluster CA', () => {
    const kubeconfig = parse(stringData(find(objects, 'Secret', 'admin-kubeconfig')).kubeconfig ?? '') as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
    expect(kubeconfig.clusters[0]?.cluster.server).toBe(`https://kube-apiserver.${controlPlaneNamespace(ref)}.svc:6443`);
    expect(kubeconfig.clusters[0]?.cluster.server).toBe(apiServerServiceURL(ref));
    expect(Buffer.from(kubeconfig.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString()).toBe(pki.caCertificate);
  });

  it.each([
    ['1.34.2', 'registry.k8s.io/kube-apiserver:v1.34.2'],
    ['v1.33.5', 'registry.k8s.io/kube-apiserver:v1.33.5'],
  ])('runs the kube-apiserver image of version %s', (version, image) => {
    const rendered = renderHostedControlPlane({ ref, pki, kubernetesVersion: version });
    expect(podOwner(find(rendered, 'Deployment', 'kube-apiserver')).spec.template.spec.containers[0]?.image).toBe(image);
  });

  it('wires kube-apiserver to the etcd Service and the PKI Secret it mounts', () => {
    const apiServer = podOwner(find(objects, 'Deployment', 'kube-apiserver'));
    expect(apiServer.spec.template.spec.containers[0]?.command).toContain(`--etcd-servers=http://etcd-0.etcd.${controlPlaneNamespace(ref)}.svc:2379`);
    expect(apiServer.spec.template.spec.volumes?.[0]?.secret.secretName).toBe('control-plane-pki');
  });

  it('is the same for the same input', () => {
    expect(renderHostedControlPlane({ ref, pki, kubernetesVersion: '1.34.2' })).toEqual(objects);
  });

  it('for any hosted cluster: a DNS-label namespace, workloads that select their own pods, Services that select them, headers that match', () => {
    const refs = fc.record({ namespace: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/), name: fc.stringMatching(/^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/), uid: fc.uuid() });
    fc.assert(
      fc.property(refs, (anyRef) => {
        const rendered = renderHostedControlPlane({ ref: anyRef, pki, kubernetesVersion: '1.34.2' });
        expect(rendered[0]?.metadata.name).toMatch(DNS_LABEL);
        for (const [workload, service] of [['StatefulSet', 'etcd'], ['Deployment', 'kube-apiserver']] as const) {
          const owner = podOwner(find(rendered, workload, service));
          expect(owner.spec.template.metadata.labels).toMatchObject(owner.spec.selector.matchLabels);
          expect(owner.spec.template.metadata.labels).toMatchObject(selectorOf(find(rendered, 'Service', service)));
        }
        expect(renderedObjectHeaders(anyRef)).toEqual(rendered.map((object) => ({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) } })));
      }),
      { numRuns: 50 },
    );
  });
});
