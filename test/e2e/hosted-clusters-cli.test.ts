/**
 * The real `slipway` bin with a HostedCluster and its NodePool against a real stack: apply of
 * HyperShift's own manifests (a HostedCluster, a NodePool and the Secret they reference, in one
 * file), get with HyperShift's columns, describe as a tree, wait, scale, kubeconfig and delete
 * --wait leaving no machine in the cloud. The control plane's activities are stand-ins
 * (test/support/hosted-clusters.ts) until the worker registers the real ones; the NodePool's
 * machines are real machines of the simulated cloud, made by its MachineDeployment.
 */
import { writeFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { portIsFree } from '../../infra/processes';
import { fileSecretStore } from '../../services/worker/secrets';
import { RELEASE_4_20, RELEASE_4_21 } from '../support/hosted-clusters';
import { useCliStack } from '../support/slipway-bin';
import { eventually } from '../support/async-checks';

const { slipway, scratchPath } = useCliStack('slipway-hc-cli-', {
  stack: { supervisor: true },
  api: (stack) => ({ secrets: fileSecretStore(join(stack.home, 'secrets')) }),
});

async function ok(args: string[]): Promise<string> {
  const result = await slipway(args);
  expect(result.code, `slipway ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** As `hcp create cluster --render` lays it out: the Secret, then the HostedCluster, then its NodePool. */
const RENDERED = [
  'apiVersion: v1',
  'kind: Secret',
  'metadata: {name: cli-hc-pull-secret, namespace: default}',
  'type: kubernetes.io/dockerconfigjson',
  'data: {.dockerconfigjson: e30=}',
  '---',
  'apiVersion: hypershift.openshift.io/v1beta1',
  'kind: HostedCluster',
  'metadata: {name: cli-hc, namespace: default}',
  'spec:',
  `  release: {image: "${RELEASE_4_21}"}`,
  '  platform: {type: Simulated, simulated: {region: local-1}}',
  '  dns: {baseDomain: example.test}',
  '  pullSecret: {name: cli-hc-pull-secret}',
  '  etcd: {managementType: Managed}',
  '---',
  'apiVersion: hypershift.openshift.io/v1beta1',
  'kind: NodePool',
  'metadata: {name: cli-np, namespace: default}',
  'spec:',
  '  clusterName: cli-hc',
  `  release: {image: "${RELEASE_4_20}"}`,
  '  replicas: 2',
  '  management: {upgradeType: Replace, autoRepair: false, replace: {strategy: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}}',
  '  platform: {type: Simulated, simulated: {instanceType: m6i.large}}',
];

it('drives a HostedCluster and its NodePool through their whole life from the command line', { timeout: 300_000 }, async () => {
  const manifest = scratchPath('rendered.yaml');
  await writeFile(manifest, RENDERED.join('\n'));
  const applied = await slipway(['apply', '-f', manifest]);
  expect(applied.code, applied.stderr).toBe(0);
  expect(applied.stdout).toContain('hostedcluster.slipway.dev/cli-hc created');
  expect(applied.stdout).toContain('nodepool.slipway.dev/cli-np created');
  expect(applied.stderr).toMatch(/secret\/cli-hc-pull-secret not applied: .*secrets\/default\/cli-hc-pull-secret\.json/);
  expect(applied.stderr).not.toContain('e30=');

  await ok(['wait', '--for=condition=Available', 'hc/cli-hc', '--timeout', '90s']);
  await ok(['wait', '--for=condition=Ready', 'np/cli-np', '--timeout', '90s']);

  const clusters = await ok(['get', 'hc']);
  expect(clusters).toMatch(/^NAME\s+VERSION\s+KUBECONFIG\s+PROGRESS\s+AVAILABLE\s+PROGRESSING\s+MESSAGE\s+AGE$/m);
  expect(clusters).toMatch(/^cli-hc\s+4\.21\.0\s+\S*admin-kubeconfig\s+Completed\s+True\s+False\s+The hosted control plane is available\.\s+\S+$/m);
  const pools = await ok(['get', 'np']);
  expect(pools).toMatch(/^NAME\s+CLUSTER\s+DESIRED NODES\s+CURRENT NODES\s+AUTOSCALING\s+AUTOREPAIR\s+VERSION\s+READY\s+AGE$/m);
  expect(pools).toMatch(/^cli-np\s+cli-hc\s+2\s+2\s+False\s+false\s+4\.20\.1\s+True\s+\S+$/m);

  const tree = await ok(['describe', 'hc/cli-hc']);
  expect(tree).toMatch(/^HostedCluster\/cli-hc\s+True/m);
  expect(tree).toMatch(/ControlPlane\s+True.*API server at https:\/\/127\.0\.0\.1:\d+/);
  expect(tree).toMatch(/│ ├─Etcd\s+True/);
  expect(tree).toMatch(/│ └─KubeAPIServer\s+True/);
  expect(tree).toMatch(/NodePool\/cli-np \(2\/2\)\s+True/);
  expect(tree.match(/Machine\/cli-hc-cli-np-\S+\s+True/g)).toHaveLength(2);
  expect(await ok(['describe', 'np/cli-np'])).toMatch(/^NodePool\/cli-np \(2\/2\)\s+True/m);

  const kubeconfig = await ok(['kubeconfig', 'hc/cli-hc']);
  expect(kubeconfig).toMatch(/^apiVersion: v1\nkind: Config\n/);
  const refused = await slipway(['kubeconfig', 'np/cli-np']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('slipway kubeconfig hc/<name>');

  expect(await ok(['scale', 'np/cli-np', '--replicas', '3'])).toContain('nodepool.slipway.dev/cli-np scaled');
  await ok(['wait', '--for=condition=Ready', 'np/cli-np', '--timeout', '90s']);
  expect(await ok(['get', 'np', 'cli-np'])).toMatch(/^cli-np\s+cli-hc\s+3\s+3\s/m);

  // The admin kubeconfig verifies the hosted API server's certificate, and that server holds a
  // Ready Node for each of the pool's machines (the simulated cloud's kubelet registers them).
  const hosted = new KubeConfig();
  hosted.loadFromString(await ok(['kubeconfig', 'hc/cli-hc']));
  expect(hosted.getCurrentCluster()?.skipTLSVerify).not.toBe(true);
  const core = hosted.makeApiClient(CoreV1Api);
  const readyNodes = async () => (await core.listNode({ labelSelector: 'slipway.dev/node-pool=cli-np' })).items.filter((node) => node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'));
  expect(await eventually(readyNodes, (nodes) => nodes.length === 3, 60_000, 500)).toHaveLength(3);
  const apiServer = new URL(hosted.getCurrentCluster()?.server ?? '');

  // The NodePool follows its own release: its machines are replaced, the cluster's stay as they are.
  await ok(['apply', '-f', await writeNodePool(RELEASE_4_21)]);
  await ok(['wait', '--for=condition=UpdatingVersion=False', 'np/cli-np', '--timeout', '120s']);
  await ok(['wait', '--for=condition=Ready', 'np/cli-np', '--timeout', '120s']);
  expect(await ok(['get', 'np', 'cli-np'])).toMatch(/\s4\.21\.0\s+True\s/);

  expect(await ok(['delete', 'hc', 'cli-hc', '--wait', '--timeout', '120s'])).toContain('hostedcluster.slipway.dev "cli-hc" deleted');
  expect((await slipway(['get', 'np', 'cli-np'])).code).toBe(1);
  const cloud = JSON.parse(await ok(['cloud', 'ls', '-o', 'json'])) as { items: unknown[] };
  expect(cloud.items).toEqual([]);
  // The control plane's processes are gone and its port is free again.
  expect(await portIsFree(Number(apiServer.port))).toBe(true);
});

async function writeNodePool(release: string): Promise<string> {
  const path = scratchPath(`np-${release.length}.yaml`);
  await writeFile(path, RENDERED.slice(RENDERED.indexOf('kind: NodePool') - 1).join('\n').replace(RELEASE_4_20, release));
  return path;
}

