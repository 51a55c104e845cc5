import { describe, expect, it } from 'vitest';
import { planApply } from '../../services/cli/apply-plan';
import { describeChange, planPatch, rolloutTarget } from '../../services/cli/commands/rollout';
import { describeTree } from '../../services/cli/describe-tree';
import { columnsFor, renderTree, tableRows } from '../../services/cli/output';
import { parseCount } from '../../services/cli/parse';
import { previewJson, renderServerPreview } from '../../services/cli/rollout-preview';
import { rolloutStatus } from '../../services/cli/rollout-status';
import type { MachineDeployment } from '../../crds/schemas/machine-deployment';
import { convertManifest } from '../../crds/upstream/index';

const now = new Date('2025-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const ready = (status: 'True' | 'False', reason: string, message: string, seconds = 30) => [{ type: 'Ready', status, reason, message, lastTransitionTime: ago(seconds) }];

function machineDeployment(spec: Record<string, unknown>, status: Record<string, unknown> | undefined, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'MachineDeployment',
    metadata: { name: 'web', namespace: 'default', generation: 2, creationTimestamp: ago(600), ...metadata },
    spec: { clusterName: 'demo', replicas: 3, template: { spec: { version: 'v1.34.0' } }, ...spec },
    ...(status ? { status } : {}),
  };
}

const rolling = machineDeployment(
  { replicas: 3 },
  {
    observedGeneration: 2,
    replicas: 4,
    readyReplicas: 3,
    availableReplicas: 3,
    updatedReplicas: 1,
    unavailableReplicas: 0,
    phase: 'ScalingDown',
    revisionNumber: 2,
    machineSets: [
      { name: 'web-bbb', revision: 'bbb', revisionNumber: 2, replicas: 2, readyReplicas: 1, availableReplicas: 1 },
      { name: 'web-aaa', revision: 'aaa', revisionNumber: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    ],
    machines: [
      { name: 'web-aaa-0', machineSet: 'web-aaa', providerID: 'sim://0', phase: 'Running', conditions: ready('True', 'Running', 'The machine runs and its node is Ready.', 300) },
      { name: 'web-aaa-1', machineSet: 'web-aaa', providerID: 'sim://1', phase: 'Running', conditions: ready('True', 'Running', 'The machine runs and its node is Ready.', 300) },
      { name: 'web-bbb-2', machineSet: 'web-bbb', providerID: 'sim://2', phase: 'Running', conditions: ready('True', 'Running', 'The machine runs and its node is Ready.', 40) },
      { name: 'web-bbb-3', machineSet: 'web-bbb', phase: 'Provisioning', conditions: ready('False', 'Provisioning', 'The cloud is booting the machine.', 5) },
    ],
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: '3 of 3 machines are available.', lastTransitionTime: ago(300) },
      { type: 'RollingOut', status: 'True', reason: 'RollingOut', message: '1 of 3 machines are of revision bbb.', lastTransitionTime: ago(60) },
      { type: 'Ready', status: 'False', reason: 'RollingOut', message: '3 of 3 machines available, 1 updated, 4 in total.', lastTransitionTime: ago(60) },
    ],
  },
);

describe('get md', () => {
  it('shows the columns kubectl shows for Cluster API MachineDeployments, DESIRED only when wide', () => {
    const columns = columnsFor('MachineDeployment', false);
    expect(columns.map((column) => column.header)).toEqual(['NAME', 'CLUSTER', 'REPLICAS', 'READY', 'UPDATED', 'UNAVAILABLE', 'PHASE', 'AGE', 'VERSION']);
    expect(tableRows([rolling], columns, now)).toEqual([['web', 'demo', '4', '3', '1', '0', 'ScalingDown', '10m', 'v1.34.0']]);
    expect(columnsFor('MachineDeployment', true).map((column) => column.header)).toContain('DESIRED');
  });

  it('leaves status columns blank before the first status', () => {
    expect(tableRows([machineDeployment({}, undefined)], columnsFor('MachineDeployment', false), now)).toEqual([['web', 'demo', '', '', '', '', '', '10m', 'v1.34.0']]);
  });
});

describe('describe md', () => {
  it('draws the MachineDeployment, its conditions, then each MachineSet (newest first) with its machines', () => {
    const lines = renderTree(describeTree(rolling), now).split('\n');
    const readyColumn = lines[0]?.indexOf('READY') ?? 0;
    expect(lines.map((line) => line.slice(0, readyColumn).trimEnd())).toEqual([
      'NAME',
      'MachineDeployment/web',
      '├─Available',
      '├─RollingOut',
      '├─MachineSet/web-bbb (1/2)',
      '│ ├─Machine/web-bbb-2',
      '│ └─Machine/web-bbb-3',
      '└─MachineSet/web-aaa (2/2)',
      '  ├─Machine/web-aaa-0',
      '  └─Machine/web-aaa-1',
    ]);
    expect(lines[1]).toMatch(/MachineDeployment\/web +False +Info +RollingOut +60s +3 of 3 machines available, 1 updated, 4 in total\./);
    expect(lines[4]).toMatch(/MachineSet\/web-bbb \(1\/2\) +False +Info +WaitingForMachines +revision 2: 2 replicas, 1 ready, 1 available/);
    expect(lines[6]).toMatch(/Machine\/web-bbb-3 +False +Info +Provisioning +5s +The cloud is booting the machine\./);
    expect(lines[7]).toMatch(/MachineSet\/web-aaa \(2\/2\) +True +revision 1: 2 replicas, 2 ready, 2 available/);
  });

  it('keeps machines of a MachineSet no longer listed, under the MachineDeployment itself', () => {
    const orphan = { ...rolling, status: { ...rolling.status, machineSets: [] } };
    expect(describeTree(orphan).children.map((child) => child.name)).toContain('Machine/web-aaa-0');
  });
});

describe('rollout status', () => {
  const status = (spec: Record<string, unknown>, counts: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
    rolloutStatus(machineDeployment(spec, { observedGeneration: 2, ...counts }, metadata), 'md/web');

  it('says what the rollout waits for, as kubectl rollout status does', () => {
    expect(rolloutStatus(machineDeployment({}, { observedGeneration: 1 }), 'md/web')).toEqual({ done: false, line: 'Waiting for machinedeployment spec update to be observed...' });
    expect(rolloutStatus(machineDeployment({}, undefined), 'md/web').done).toBe(false);
    expect(status({ replicas: 10 }, { replicas: 10, updatedReplicas: 3, availableReplicas: 9 }).line).toBe(
      'Waiting for machinedeployment "web" rollout to finish: 3 out of 10 new replicas have been updated...',
    );
    expect(status({ replicas: 10 }, { replicas: 12, updatedReplicas: 10, availableReplicas: 10 }).line).toBe(
      'Waiting for machinedeployment "web" rollout to finish: 2 old replicas are pending termination...',
    );
    expect(status({ replicas: 10 }, { replicas: 10, updatedReplicas: 10, availableReplicas: 3 }).line).toBe(
      'Waiting for machinedeployment "web" rollout to finish: 3 of 10 updated replicas are available...',
    );
    expect(status({ replicas: 10 }, { replicas: 10, updatedReplicas: 10, availableReplicas: 10 })).toEqual({ done: true, line: 'machinedeployment "web" successfully rolled out' });
  });

  it('says how to resume a paused, unfinished rollout, and that a deleting one will not finish', () => {
    expect(status({ replicas: 3, paused: true }, { replicas: 3, updatedReplicas: 0, availableReplicas: 3 }).line).toBe(
      'machinedeployment "web" is paused with its rollout unfinished (0 out of 3 new replicas have been updated); resume it with: slipway rollout resume md/web',
    );
    expect(status({ replicas: 3, paused: true }, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }).done).toBe(true);
    expect(status({}, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, { deletionTimestamp: ago(1) })).toEqual({ done: false, line: 'machinedeployment "web" is being deleted' });
  });
});

describe('rollout plan', () => {
  it('builds the previewed change from flags', () => {
    expect(planPatch({})).toBeUndefined();
    expect(planPatch({ replicas: '5' })).toEqual({ spec: { replicas: 5 } });
    expect(planPatch({ setVersion: 'v1.35.0', setInstanceType: 'm6i.xlarge' })).toEqual({ spec: { template: { spec: { version: 'v1.35.0', infrastructure: { instanceType: 'm6i.xlarge' } } } } });
    expect(() => planPatch({ replicas: 'many' })).toThrow(/--replicas "many": expected a whole number, 0 or more/);
  });

  it('says what is planned in the headline', () => {
    expect(describeChange({})).toBe('the rollout of its current spec');
    expect(describeChange({ setVersion: 'v1.35.0', replicas: '5' })).toBe('rolling out version v1.35.0, 5 replicas');
  });

  it('prints the server\'s waves as the offline plan does, and exactly waves and idealWaves as JSON', () => {
    const preview = {
      waves: [
        { delete: [], create: ['web-b-3'], expectedSeconds: 120 },
        { delete: ['web-a-0', 'web-a-1'], create: ['web-b-4'], expectedSeconds: 180 },
        { delete: ['web-a-2'], create: [], expectedSeconds: 60 },
      ],
      idealWaves: 2,
      expectedSeconds: 360,
      maxSurge: 1,
      maxUnavailable: 0,
    };
    expect(lines(renderServerPreview('web', 'rolling out version v1.35.0', preview).split('\n'))).toEqual([
      'MachineDeployment web: rolling out version v1.35.0 (maxSurge 1, maxUnavailable 0)',
      '',
      'WAVE DELETE CREATE EXPECTED',
      '1 - web-b-3 120s',
      '2 web-a-0,web-a-1 web-b-4 180s',
      '3 web-a-2 - 60s',
      '',
      'boot waves: 2; ideal lower bound: 2 (no schedule within maxSurge 1 and maxUnavailable 0 boots fewer)',
      'expected duration: 6m (360s)',
    ]);
    expect(JSON.parse(previewJson(preview))).toEqual({ waves: preview.waves.map((wave) => ({ delete: wave.delete, create: wave.create })), idealWaves: 2 });
    expect(renderServerPreview('web', 'the rollout of its current spec', { ...preview, waves: [] }).split('\n')[1]).toMatch(/^nothing to roll out/);
  });
});

/** Rows with runs of spaces collapsed, to compare text without column widths. */
function lines(text: readonly string[]): string[] {
  return text.map((line) => line.replace(/ {2,}/g, ' '));
}

describe('arguments', () => {
  it('takes rollout targets as md/<name> or md <name>, and refuses other kinds', () => {
    expect(rolloutTarget('md/web', undefined, {})).toMatchObject({ kind: 'MachineDeployment', name: 'web', namespace: 'default', ref: 'md/web' });
    expect(rolloutTarget('machinedeployment', 'web', { namespace: 'prod' })).toMatchObject({ name: 'web', namespace: 'prod' });
    expect(() => rolloutTarget('cd/demo', undefined, {})).toThrow(/rollout works on machinedeployments/);
  });

  it('reads counts strictly', () => {
    expect(parseCount('5', '--replicas', 0)).toBe(5);
    expect(parseCount('0', '--replicas', 0)).toBe(0);
    expect(() => parseCount('0', '--to-revision', 1)).toThrow(/1 or more/);
    expect(() => parseCount('2.5', '--replicas', 0)).toThrow(/whole number/);
    expect(() => parseCount('', '--replicas', 0)).toThrow(/whole number/);
  });
});

describe('apply of an existing MachineDeployment', () => {
  const capi = {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'MachineDeployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      clusterName: 'demo',
      replicas: 3,
      selector: { matchLabels: { pool: 'web' } },
      template: { metadata: { labels: { pool: 'web' } }, spec: { clusterName: 'demo', version: 'v1.35.0', infrastructure: { instanceType: 'm6i.large' } } },
    },
  };

  it('patches only what the manifest says, so spec.paused set by rollout pause and other server-side values stay', () => {
    const converted = convertManifest(capi);
    if (!converted.ok || converted.kind !== 'MachineDeployment') throw new Error(JSON.stringify(converted));
    const object = converted.object as MachineDeployment;
    const existing = { ...object, spec: { ...object.spec, paused: true, template: { ...object.spec.template, spec: { ...object.spec.template.spec, version: 'v1.34.0' } } } };
    const plan = planApply(converted.written, existing as unknown as Record<string, unknown>);
    expect(plan.outcome).toBe('configured');
    if (plan.outcome !== 'configured') return;
    expect(plan.patch.spec).not.toHaveProperty('paused');
    expect(plan.patch.spec).not.toHaveProperty('strategy');
    expect(plan.patch.spec).toMatchObject({ replicas: 3, template: { spec: { version: 'v1.35.0' } } });
    expect(planApply(converted.written, converted.object as unknown as Record<string, unknown>).outcome).toBe('unchanged');
  });
});
