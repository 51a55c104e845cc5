import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedAdapter } from '../../providers/simulated/adapter';
import { startSimulatedCloud } from '../../providers/simulated/launch';
import { describeProviderContract } from './provider-contract';

describeProviderContract('simulated', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-contract-sim-'));
  const cloud = await startSimulatedCloud({ statePath: join(dir, 'cloud.db'), bootMs: 0, deleteMs: 0 });
  const requestTimeoutMs = 2_000;
  const pageSize = 10;
  return {
    adapter: createSimulatedAdapter({ baseUrl: cloud.url, apiKey: cloud.apiKey, requestTimeoutMs, pageSize }),
    credential: cloud.apiKey ?? '',
    requestTimeoutMs,
    pageSize,
    async injectFaults(next) {
      const response = await fetch(new URL('/admin/faults', cloud.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${cloud.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ next }),
      });
      if (!response.ok) throw new Error(`could not script faults: ${response.status}`);
    },
    async teardown() {
      await cloud.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
