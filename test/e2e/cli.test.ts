/** The real `slipway` bin against a real stack: apply, wait, get, describe, delete, cloud ls, and its errors. */
import { writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { useCliStack } from '../support/slipway-bin';

const { slipway, scratchPath } = useCliStack('slipway-cli-');

it('applies, waits for, shows, describes and deletes a cluster, leaving nothing in the cloud', { timeout: 240_000 }, async () => {
  const manifest = scratchPath('cli.yaml');
  await writeFile(
    manifest,
    ['apiVersion: slipway.dev/v1alpha1', 'kind: ClusterDeployment', 'metadata:', '  name: cli-one', 'spec:', '  clusterName: cli-one', '  baseDomain: example.test',
      '  platform:', '    simulated:', '      region: local-1', '  controlPlane:', '    replicas: 1', '  compute:', '    - name: worker', '      replicas: 2'].join('\n'),
  );
  const applied = await slipway(['apply', '-f', manifest]);
  expect(applied.stdout).toContain('cli-one created');
  expect((await slipway(['wait', '--for=condition=Ready', 'cd/cli-one', '--timeout', '90s'])).code).toBe(0);

  const json = await slipway(['get', 'cd', 'cli-one', '-o', 'json']);
  const object = JSON.parse(json.stdout) as { status: { infraID: string; machines: unknown[] } };
  expect(object.status.machines).toHaveLength(3);
  expect((await slipway(['get', 'cd'])).stdout).toMatch(/cli-one\s+cli-one-[0-9a-z]{10}\s+simulated\s+local-1/);
  const tree = (await slipway(['describe', 'cd', 'cli-one'])).stdout;
  expect(tree).toContain('Machine/master-0');
  expect(tree).toMatch(/Machine\/cli-one-worker-[0-9a-z]+-1/);

  const listed = (JSON.parse((await slipway(['cloud', 'ls', '--tag', `slipway.dev/cluster=${object.status.infraID}`, '-o', 'json'])).stdout) as { items: unknown[] }).items;
  expect(listed.length).toBe(7);

  expect((await slipway(['delete', 'cd', 'cli-one', '--wait'])).code).toBe(0);
  const after = (JSON.parse((await slipway(['cloud', 'ls', '--tag', `slipway.dev/cluster=${object.status.infraID}`, '-o', 'json'])).stdout) as { items: unknown[] }).items;
  expect(after).toEqual([]);
});

it('prints field paths for an invalid manifest and says what to do when there is no stack', async () => {
  const bad = scratchPath('bad.yaml');
  await writeFile(bad, 'apiVersion: slipway.dev/v1alpha1\nkind: ClusterDeployment\nmetadata:\n  name: bad\nspec:\n  clusterName: bad\n  baseDomain: example.test\n  platform: {simulated: {region: local-1}}\n  controlPlane: {replicas: many}\n');
  const refused = await slipway(['apply', '-f', bad]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr + refused.stdout).toContain('spec.controlPlane.replicas');

  const lost = await slipway(['get', 'cd'], { SLIPWAY_API_URL: '', SLIPWAY_API_TOKEN: '' });
  expect(lost.code).not.toBe(0);
  expect(lost.stderr).toMatch(/npm run dev/);
});
