/** Dev-mode credential secrets of a test stack (SLIPWAY_HOME/secrets/<namespace>/<name>.json), written and removed as a user would. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestStack } from './stack';

/** Writes a simulated-cloud credentials secret holding the stack's real API key. */
export async function writeSimulatedSecret(stack: TestStack, name: string, namespace = 'default'): Promise<void> {
  await mkdir(join(stack.home, 'secrets', namespace), { recursive: true });
  await writeFile(join(stack.home, 'secrets', namespace, `${name}.json`), JSON.stringify({ apiKey: stack.simCloud.apiKey }), { mode: 0o600 });
}

export async function removeSecret(stack: TestStack, name: string, namespace = 'default'): Promise<void> {
  await rm(join(stack.home, 'secrets', namespace, `${name}.json`), { force: true });
}
