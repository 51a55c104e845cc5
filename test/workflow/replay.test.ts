/**
 * Replays recorded ClusterDeployment and MachineDeployment histories through the current workflow code, so a
 * non-deterministic change (reordered activities, a new timer, a renamed Update) fails CI
 * instead of breaking clusters that are already running.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { expect, inject, it } from 'vitest';
import { HISTORIES_DIR } from '../support/histories';
import { slipwaySinks } from '../../services/worker/create-worker';

it('replays every recorded entity workflow history without non-determinism', async () => {
  const files = (await readdir(HISTORIES_DIR)).filter((file) => file.endsWith('.json')).sort();
  expect(files.length, 'no recorded histories: run `npm run record:histories` and commit test/fixtures/histories').toBeGreaterThanOrEqual(3);
  const histories = await Promise.all(
    files.map(async (file) => {
      const recorded = JSON.parse(await readFile(join(HISTORIES_DIR, file), 'utf8')) as { workflowId: string; history: unknown };
      return { workflowId: recorded.workflowId, history: temporal.api.history.v1.History.fromObject(recorded.history as Record<string, unknown>) };
    }),
  );
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') }, sinks: slipwaySinks() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});
