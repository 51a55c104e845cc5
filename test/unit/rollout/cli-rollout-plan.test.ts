import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { rolloutCommand } from '../../../services/cli/commands/rollout-plan';
import type { CommandContext } from '../../../services/cli/context';
import { isCliError } from '../../../services/cli/errors';
import { idealWaveCount } from '../../../workflows/planners/rollout/index';

interface Captured {
  readonly context: CommandContext;
  readonly out: string[];
  readonly err: string[];
}

function capture(): Captured {
  const out: string[] = [];
  const err: string[] = [];
  const context: CommandContext = {
    env: {},
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: false,
    now: () => new Date('2025-01-01T00:00:00Z'),
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    api: () => Promise.reject(new Error('an offline plan must not call the API')),
    progress: () => {
      throw new Error('an offline plan shows no progress');
    },
  };
  return { context, out, err };
}

/** Runs `slipway <argv>` with only the offline rollout command, the way main.ts's runCli does. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { context, out, err } = capture();
  let code = 0;
  const program = new Command('slipway')
    .exitOverride()
    .configureOutput({ writeErr: (text) => void err.push(text), writeOut: (text) => void out.push(text) })
    .addCommand(rolloutCommand(context, (next) => (code = next)).exitOverride());
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 1;
    else if (isCliError(error)) {
      err.push(`error: ${error.message}`, ...error.details.map((line) => `  ${line}`));
      code = error.exitCode;
    } else throw error;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function manifestFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'slipway-rollout-plan-')), 'md.yaml');
  writeFileSync(file, text);
  return file;
}

const slipwayManifest = `apiVersion: slipway.dev/v1alpha1
kind: MachineDeployment
metadata:
  name: web
spec:
  clusterName: alpha
  replicas: 10
  template:
    spec:
      version: v1.34.2
      infrastructure:
        instanceType: m5.large
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 2
      maxUnavailable: 1
`;

const capiManifest = `apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata:
  name: capi-md-0
  namespace: default
spec:
  clusterName: capi
  replicas: 8
  selector:
    matchLabels:
      cluster.x-k8s.io/deployment-name: capi-md-0
  template:
    metadata:
      labels:
        cluster.x-k8s.io/deployment-name: capi-md-0
    spec:
      clusterName: capi
      version: v1.34.2
      bootstrap:
        dataSecretName: capi-md-0-bootstrap
      infrastructure:
        instanceType: m5.large
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
`;

describe('slipway rollout plan -f', () => {
  it('prints exactly waves and idealWaves with -o json', async () => {
    const result = await run(['rollout', 'plan', '-f', manifestFile(slipwayManifest), '--current', '10', '-o', 'json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.out) as { waves: { delete: string[]; create: string[] }[]; idealWaves: number };
    expect(Object.keys(parsed)).toEqual(['waves', 'idealWaves']);
    expect(parsed.idealWaves).toBe(idealWaveCount(10, 2, 1));
    expect(parsed.waves.filter((wave) => wave.create.length > 0)).toHaveLength(4);
    expect(parsed.waves.every((wave) => Object.keys(wave).join() === 'delete,create')).toBe(true);
    expect(parsed.waves.flatMap((wave) => wave.delete).sort()).toEqual(Array.from({ length: 10 }, (_, index) => `old-${index}`).sort());
    expect(parsed.waves[0]?.create[0]).toMatch(/^web-[0-9a-f]{8}-0$/);
  });

  it('prints the waves as a table with the ideal lower bound and the expected duration', async () => {
    const result = await run(['rollout', 'plan', '-f', manifestFile(slipwayManifest), '--current', '10', '--boot-seconds', '100', '--drain-seconds', '20']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^MachineDeployment web: 10 machines of an older template to 10 of revision [0-9a-f]{8} \(RollingUpdate, maxSurge 2, maxUnavailable 1\)/);
    expect(result.out).toMatch(/WAVE +DELETE +CREATE +EXPECTED/);
    expect(result.out).toMatch(/boot waves: 4; ideal lower bound: 4/);
    // 4 boot waves of drain 20 + boot 100: 480s, no final deletion-only wave here.
    expect(result.out).toMatch(/expected duration: 8m \(480s\)/);
  });

  it('reads a Cluster API MachineDeployment, resolving percentages', async () => {
    const result = await run(['rollout', 'plan', '-f', manifestFile(capiManifest), '--current', '8', '-o', 'json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.out) as { waves: { create: string[] }[]; idealWaves: number };
    expect(parsed.idealWaves).toBe(idealWaveCount(8, 2, 2));
    expect(parsed.waves.filter((wave) => wave.create.length > 0)).toHaveLength(parsed.idealWaves);
  });

  it('asks for -f or a server-side target when given neither, and never mixes the two', async () => {
    expect(await run(['rollout', 'plan'])).toMatchObject({ code: 1, err: 'error: give -f <manifest> for an offline plan, or md/<name> for the plan of a MachineDeployment on the server' });
    const mixed = await run(['rollout', 'plan', 'machinedeployment/web', '-f', manifestFile(slipwayManifest), '--set-version', 'v2']);
    expect(mixed).toMatchObject({ code: 1, err: expect.stringMatching(/-f plans the manifest offline, so machinedeployment\/web, --set-version cannot go with it/) });
  });

  it('explains a manifest it cannot plan', async () => {
    const zeroZero = slipwayManifest.replace('maxSurge: 2', 'maxSurge: 0').replace('maxUnavailable: 1', 'maxUnavailable: 0');
    const refused = await run(['rollout', 'plan', '-f', manifestFile(zeroZero), '--current', '3']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cannot both be 0/);
    const missing = await run(['rollout', 'plan', '-f', '/nonexistent/md.yaml']);
    expect(missing.err).toMatch(/does not exist/);
    const badCount = await run(['rollout', 'plan', '-f', manifestFile(slipwayManifest), '--current', 'many']);
    expect(badCount.err).toMatch(/--current must be a whole number of machines/);
  });
});
