import { fileURLToPath } from 'node:url';

/** Entry point of the workflow bundle: every workflow type Slipway registers. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
