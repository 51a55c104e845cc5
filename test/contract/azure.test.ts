import { createAzureAdapter } from '../../providers/azure/adapter';
import { ARM_FAULT_DIALECT } from '../emulators/azure-arm/fault-dialect';
import { startAzureTestCloud } from '../emulators/azure-arm/test-cloud';
import { startFaultProxy } from '../support/fault-proxy';
import { describeProviderContract } from './provider-contract';

describeProviderContract('azure', async () => {
  const pageSize = 10;
  const cloud = await startAzureTestCloud({ pageSize, operationMs: 500, operationPolls: 2 });
  const { ca, emulator } = cloud;
  const proxy = await startFaultProxy({ upstream: emulator.url, dialect: ARM_FAULT_DIALECT, tls: { key: ca.serverKey, cert: ca.serverCert }, upstreamCa: ca.caCert, seed: 11 });
  const requestTimeoutMs = 2_000;
  // Built as a worker builds it, from the secret's fields and the endpoints in the environment.
  // Tokens come from the emulator's identity endpoints directly; every ARM call goes through the proxy.
  return {
    adapter: createAzureAdapter({ ...cloud.adapterOptions(proxy.url), requestTimeoutMs }),
    credential: emulator.principal.clientSecret,
    proxy,
    requestTimeoutMs,
    pageSize,
    async teardown() {
      await proxy.stop();
      await cloud.stop();
    },
  };
});
