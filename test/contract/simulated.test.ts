import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedAdapter } from '../../providers/simulated/adapter';
import { startSimulatedCloud } from '../../providers/simulated/launch';
import { startFaultProxy } from '../support/fault-proxy';
import { describeProviderContract } from './provider-contract';

describeProviderContract('simulated', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-contract-sim-'));
  const cloud = await startSimulatedCloud({ statePath: join(dir, 'cloud.db'), bootMs: 0, deleteMs: 0 });
  const proxy = await startFaultProxy({ upstream: cloud.url, seed: 5 });
  const requestTimeoutMs = 2_000;
  const pageSize = 10;
  return {
    adapter: createSimulatedAdapter({ baseUrl: proxy.url, apiKey: cloud.apiKey, requestTimeoutMs, pageSize }),
    credential: cloud.apiKey ?? '',
    proxy,
    requestTimeoutMs,
    pageSize,
    async teardown() {
      await proxy.stop();
      await cloud.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}, { needsClusterNetwork: false, tagsResources: 'all' });
