/**
 * The Azure ARM emulator behind a test CA the process trusts, with the adapter options a
 * worker would build for it, for tests that need the adapter against a real ARM-speaking
 * server (through a fault proxy or not).
 */
import { rm } from 'node:fs/promises';
import { azureAdapterOptionsFrom, type AzureAdapterOptions } from '../../../providers/azure/adapter';
import { createTestCa, trustTestCa, type TestCa } from '../../support/test-ca';
import { startAzureArmEmulator, type AzureArmEmulator, type AzureArmEmulatorOptions } from './emulator';

export interface AzureTestCloud {
  readonly ca: TestCa;
  readonly emulator: AzureArmEmulator;
  /** Options from the emulator's service principal; ARM calls go to `endpoint` (the emulator by default). */
  adapterOptions(endpoint?: string): AzureAdapterOptions;
  stop(): Promise<void>;
}

export async function startAzureTestCloud(options: Omit<AzureArmEmulatorOptions, 'tls'> = {}): Promise<AzureTestCloud> {
  const ca = await createTestCa();
  trustTestCa(ca);
  const emulator = await startAzureArmEmulator({ ...options, tls: { key: ca.serverKey, cert: ca.serverCert } });
  return {
    ca,
    emulator,
    adapterOptions: (endpoint = emulator.url) =>
      azureAdapterOptionsFrom({
        region: 'eastus',
        credentials: { ...emulator.principal, subscriptionId: emulator.subscriptionId },
        env: { SLIPWAY_AZURE_ENDPOINT: endpoint, SLIPWAY_AZURE_AUTHORITY_HOST: emulator.authorityHost },
      }),
    async stop() {
      await emulator.stop();
      await rm(ca.dir, { recursive: true, force: true });
    },
  };
}
