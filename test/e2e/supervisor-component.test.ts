/**
 * One supervised process, with real processes: a crash loop is started again with back-off and
 * says so, stop() ends the loop, and a process a killed supervisor left behind is ended (only if
 * it is ours: its arguments carry the control plane's folder).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endLeftover, startComponent } from '../../services/supervisor/component';
import { eventually, sleep } from '../support/async-checks';
import { processExists } from '../support/supervisor';

const FAST = { initialMs: 50, capMs: 200, stableMs: 60_000 };
/** Arguments of a process that runs until it is killed and names `marker` among them, as a control plane's do its folder. */
const LONG_RUNNING = (marker: string) => ['-e', 'setInterval(() => undefined, 2 ** 30)', marker];

describe('a supervised component', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-component-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts a crashing process again and again with back-off, saying why, until stopped', async () => {
    const component = await startComponent({ name: 'crasher', binary: 'sh', args: ['-c', 'exit 3'], logFile: join(dir, 'crasher.log'), pidFile: join(dir, 'crasher.pid'), marker: dir, backoff: FAST });
    const state = await eventually(async () => component.state(), (current) => current.restarts >= 4, 10_000, 20);
    expect(state.restarts).toBeGreaterThanOrEqual(4);
    expect(state.lastExit).toBe('exited with code 3');
    await component.stop();
    const stopped = component.state().restarts;
    await sleep(4 * FAST.capMs);
    expect(component.state().restarts).toBe(stopped);
    expect(component.state().running).toBe(false);
  });

  it('ends the process a previous supervisor left, found by its pid file and its arguments', async () => {
    const leftover = spawn(process.execPath, LONG_RUNNING(dir), { stdio: 'ignore' });
    const pidFile = join(dir, 'left.pid');
    await writeFile(pidFile, `${leftover.pid}\n`);
    await sleep(200);
    expect(processExists(leftover.pid!)).toBe(true);
    const component = await startComponent({ name: 'left', binary: process.execPath, args: LONG_RUNNING(dir), logFile: join(dir, 'left.log'), pidFile, marker: dir, backoff: FAST });
    expect(processExists(leftover.pid!)).toBe(false);
    const current = component.state();
    expect(current.running).toBe(true);
    expect(current.restarts).toBe(0);
    expect(Number((await readFile(pidFile, 'utf8')).trim())).toBe(current.pid);
    await component.stop();
    expect(processExists(current.pid!)).toBe(false);
  });

  it('leaves alone a process whose pid the file names but that is not ours', async () => {
    const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
    const pidFile = join(dir, 'stranger.pid');
    await writeFile(pidFile, `${stranger.pid}\n`);
    try {
      await endLeftover({ pidFile, marker: dir });
      expect(processExists(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});
