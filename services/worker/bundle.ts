import { fileURLToPath } from 'node:url';

/** Entry point of the workflow bundle: every workflow type Slipway registers. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/**
 * Modules the worker evaluates once per workflow thread and shares, frozen, between every
 * workflow it runs (the SDK's `preloadModules`), instead of evaluating them again for each
 * workflow it starts or takes into its cache. Only modules without state of their own may be
 * here: request validation and the CRD schemas (with TypeBox, which they bring in) are
 * constant data and pure functions. Without this, every cached workflow held its own copy of
 * every kind's schema, and building it was the largest part of starting a workflow.
 */
const SHARED_WORKFLOW_MODULES: readonly string[] = [fileURLToPath(new URL('../../crds/validate.ts', import.meta.url))];

/** What every bundle of Slipway's workflows is built with, wherever it is built. */
export function workflowBundleOptions(workflowsPath = WORKFLOWS_PATH): { readonly workflowsPath: string; readonly preloadModules: string[] } {
  return { workflowsPath, preloadModules: [...SHARED_WORKFLOW_MODULES] };
}
