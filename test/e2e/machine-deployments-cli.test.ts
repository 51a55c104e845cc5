/**
 * The real `slipway` bin with MachineDeployments against a real stack: apply (ours and
 * Cluster API's, create then configure), get, describe, wait, scale, rollout
 * status/plan/pause/resume/undo, and delete --wait leaving no machine in the cloud.
 */
import { writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { TAG } from '../../providers/tags';
import { useCliStack } from '../support/slipway-bin';

const { slipway, scratchPath } = useCliStack('slipway-md-cli-');

/** Runs the bin and expects success, showing its stderr when it fails. */
async function ok(args: string[]): Promise<string> {
  const result = await slipway(args);
  expect(result.code, `slipway ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

async function manifestFile(name: string, lines: string[]): Promise<string> {
  const path = scratchPath(name);
  await writeFile(path, lines.join('\n'));
  return path;
}

const ours = (version: string) =>
  manifestFile(`web-${version}.yaml`, [
    'apiVersion: slipway.dev/v1alpha1',
    'kind: MachineDeployment',
    'metadata:',
    '  name: cli-md',
    'spec:',
    '  clusterName: cli-host',
    '  replicas: 2',
    '  template:',
    '    spec:',
    `      version: ${version}`,
    '      infrastructure:',
    '        instanceType: m6i.large',
  ]);

it('drives a MachineDeployment through its whole life from the command line', { timeout: 300_000 }, async () => {
  const host = await manifestFile('host.yaml', [
    'apiVersion: slipway.dev/v1alpha1',
    'kind: ClusterDeployment',
    'metadata:',
    '  name: cli-host',
    'spec:',
    '  clusterName: cli-host',
    '  baseDomain: example.test',
    '  platform: {simulated: {region: local-1}}',
    '  controlPlane: {replicas: 1}',
    '  compute: []',
  ]);
  expect(await ok(['apply', '-f', host])).toContain('clusterdeployment.slipway.dev/cli-host created');
  await ok(['wait', '--for=condition=Ready', 'cd/cli-host', '--timeout', '90s']);
  const infraId = (JSON.parse(await ok(['get', 'cd', 'cli-host', '-o', 'json'])) as { status: { infraID: string } }).status.infraID;

  expect(await ok(['apply', '-f', await ours('v1.34.0')])).toContain('machinedeployment.slipway.dev/cli-md created');
  await ok(['wait', '--for=condition=Ready', 'md/cli-md', '--timeout', '90s']);
  const listing = await ok(['get', 'md']);
  expect(listing).toMatch(/^NAME\s+CLUSTER\s+REPLICAS\s+READY\s+UPDATED\s+UNAVAILABLE\s+PHASE\s+AGE\s+VERSION$/m);
  expect(listing).toMatch(/^cli-md\s+cli-host\s+2\s+2\s+2\s+0\s+Running\s+\S+\s+v1\.34\.0$/m);
  const tree = await ok(['describe', 'md/cli-md']);
  expect(tree).toMatch(/MachineDeployment\/cli-md\s+True/);
  expect(tree).toMatch(/MachineSet\/cli-md-\S+ \(2\/2\)\s+True.*revision 1: 2 replicas, 2 ready/);
  expect(tree.match(/Machine\/cli-md-\S+\s+True/g)).toHaveLength(2);

  expect(await ok(['scale', 'md/cli-md', '--replicas', '3'])).toContain('machinedeployment.slipway.dev/cli-md scaled');
  expect(await ok(['rollout', 'status', 'md/cli-md', '--watch', '--timeout', '90s'])).toMatch(/machinedeployment "cli-md" successfully rolled out\n$/);

  const preview = JSON.parse(await ok(['rollout', 'plan', 'md/cli-md', '--set-version', 'v1.35.0', '-o', 'json'])) as { waves: { create: string[] }[]; idealWaves: number };
  expect(preview.waves.flatMap((wave) => wave.create)).toHaveLength(3);
  const table = await ok(['rollout', 'plan', 'md/cli-md', '--set-version', 'v1.35.0']);
  expect(table).toMatch(/^MachineDeployment cli-md: rolling out version v1\.35\.0 \(maxSurge 1, maxUnavailable 0\)\n\nWAVE +DELETE +CREATE +EXPECTED\n/);
  expect(table).toMatch(/\nboot waves: 3; ideal lower bound: 3 /);

  // Paused, a re-applied manifest changes the template but keeps spec.paused (the manifest does not say it) and does not roll out.
  expect(await ok(['rollout', 'pause', 'md/cli-md'])).toContain('machinedeployment.slipway.dev/cli-md paused');
  expect(await ok(['apply', '-f', await ours('v1.35.0')])).toContain('machinedeployment.slipway.dev/cli-md configured');
  const paused = JSON.parse(await ok(['get', 'md', 'cli-md', '-o', 'json'])) as { spec: { paused: boolean; replicas: number } };
  expect(paused.spec).toMatchObject({ paused: true, replicas: 2 });
  expect(await ok(['rollout', 'status', 'md/cli-md'])).toContain('is paused with its rollout unfinished');
  expect(await ok(['rollout', 'resume', 'md/cli-md'])).toContain('machinedeployment.slipway.dev/cli-md resumed');
  expect(await ok(['rollout', 'status', 'md/cli-md', '--watch', '--timeout', '90s'])).toMatch(/machinedeployment "cli-md" successfully rolled out\n$/);
  expect(await ok(['apply', '-f', await ours('v1.35.0')])).toContain('machinedeployment.slipway.dev/cli-md unchanged');

  expect(await ok(['rollout', 'undo', 'md/cli-md'])).toContain('machinedeployment.slipway.dev/cli-md rolled back');
  await ok(['rollout', 'status', 'md/cli-md', '--watch', '--timeout', '90s']);
  expect((JSON.parse(await ok(['get', 'md', 'cli-md', '-o', 'json'])) as { spec: { template: { spec: { version: string } } } }).spec.template.spec.version).toBe('v1.34.0');

  const capi = await manifestFile('capi.yaml', [
    'apiVersion: cluster.x-k8s.io/v1beta1',
    'kind: MachineDeployment',
    'metadata:',
    '  name: cli-capi',
    'spec:',
    '  clusterName: cli-host',
    '  replicas: 1',
    '  selector: {matchLabels: {pool: cli-capi}}',
    '  template:',
    '    metadata: {labels: {pool: cli-capi}}',
    '    spec: {clusterName: cli-host, version: v1.34.2, infrastructure: {instanceType: m6i.large}}',
  ]);
  expect(await ok(['apply', '-f', capi])).toContain('machinedeployment.slipway.dev/cli-capi created');
  expect(await ok(['apply', '-f', capi])).toContain('machinedeployment.slipway.dev/cli-capi unchanged');

  // One machine by hand: annotate it, delete it, and its MachineDeployment replaces it.
  const before = (JSON.parse(await ok(['get', 'md', 'cli-md', '-o', 'json'])) as { status: { machines: { name: string }[] } }).status.machines.map((machine) => machine.name);
  const [victim] = before;
  expect(await ok(['machine', 'annotate', 'md/cli-md', victim ?? '', 'slipway.dev/skip-remediation=true', 'example.com/owner-'])).toContain(`machine "${victim}" annotated`);
  expect(await ok(['machine', 'delete', 'md/cli-md', victim ?? ''])).toContain(`machine "${victim}" deleted`);
  await ok(['rollout', 'status', 'md/cli-md', '--watch', '--timeout', '90s']);
  const after = (JSON.parse(await ok(['get', 'md', 'cli-md', '-o', 'json'])) as { status: { machines: { name: string }[] } }).status.machines.map((machine) => machine.name);
  expect(after).toHaveLength(before.length);
  expect(after).not.toContain(victim);
  const badAnnotation = await slipway(['machine', 'annotate', 'md/cli-md', after[0] ?? '', 'no-equals-sign']);
  expect(badAnnotation.stderr).toMatch(/must look like key=value/);

  for (const name of ['cli-md', 'cli-capi']) expect(await ok(['delete', 'md', name, '--wait', '--timeout', '90s'])).toContain(`machinedeployment.slipway.dev "${name}" deleted`);
  const left = JSON.parse(await ok(['cloud', 'ls', '--tag', `${TAG.cluster}=${infraId}`, '-o', 'json'])) as { items: { kind: string; tags: Record<string, string> }[] };
  expect(left.items.filter((item) => item.kind === 'machine' && /^cli-(md|capi)-/.test(item.tags[TAG.machine] ?? ''))).toEqual([]);

  const refused = await slipway(['rollout', 'undo', 'cd/cli-host']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/rollout works on machinedeployments/);
  await ok(['delete', 'cd', 'cli-host', '--wait', '--timeout', '90s']);
});
