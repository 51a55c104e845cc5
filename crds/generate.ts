/**
 * Writes crds/<plural>.slipway.dev.yaml from the schemas. Run with `npm run generate`
 * after changing anything under crds/schemas; test/unit/crds-drift.test.ts fails until you do.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { API_GROUP } from './schemas/common';
import { buildCrds } from './openapi';

export { buildCrd, buildCrds, buildOpenApiComponents, convertSchema, GENERATED_HEADER, type CrdFile } from './openapi';

export const CRD_DIRECTORY = dirname(fileURLToPath(import.meta.url));

/** Generated files present in the directory that no kind produces any more. */
export function staleCrdFiles(directory = CRD_DIRECTORY, expected = buildCrds().map((crd) => crd.fileName)): string[] {
  return readdirSync(directory).filter((name) => name.endsWith(`.${API_GROUP}.yaml`) && !expected.includes(name));
}

export function writeCrds(directory = CRD_DIRECTORY): string[] {
  const crds = buildCrds();
  for (const crd of crds) writeFileSync(join(directory, crd.fileName), crd.yaml);
  for (const stale of staleCrdFiles(directory, crds.map((crd) => crd.fileName))) rmSync(join(directory, stale));
  return crds.map((crd) => join(directory, crd.fileName));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  for (const file of writeCrds()) process.stdout.write(`wrote ${file}\n`);
}
