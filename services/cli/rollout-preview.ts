/**
 * How `slipway rollout plan` prints a rollout preview, offline (-f) or from the server
 * (:plan): the waves as a table, the boot waves against the ideal lower bound, and the
 * expected duration; or, with -o json, exactly the waves and idealWaves. Pure.
 */
import { humanDuration, renderColumns } from './output';

export interface WavesPreview {
  readonly waves: readonly { readonly delete: readonly string[]; readonly create: readonly string[]; readonly expectedSeconds: number }[];
  readonly idealWaves: number;
  readonly expectedSeconds: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** The lines under a plan's headline: a blank line, the waves table, a blank line, boot waves and duration. */
export function renderWaves(preview: WavesPreview): string[] {
  return [
    '',
    renderColumns(
      ['WAVE', 'DELETE', 'CREATE', 'EXPECTED'],
      preview.waves.map((wave, index) => [String(index + 1), wave.delete.join(',') || '-', wave.create.join(',') || '-', `${wave.expectedSeconds}s`]),
    ),
    '',
    `boot waves: ${preview.waves.filter((wave) => wave.create.length > 0).length}; ideal lower bound: ${preview.idealWaves} (no schedule within maxSurge ${preview.maxSurge} and maxUnavailable ${preview.maxUnavailable} boots fewer)`,
    `expected duration: ${humanDuration(preview.expectedSeconds * 1000)} (${preview.expectedSeconds}s)`,
  ];
}

/** `-o json`: exactly the waves (what each deletes and creates) and idealWaves. */
export function previewJson(preview: Pick<WavesPreview, 'waves' | 'idealWaves'>): string {
  return JSON.stringify({ waves: preview.waves.map((wave) => ({ delete: wave.delete, create: wave.create })), idealWaves: preview.idealWaves }, null, 2);
}

/** The server-side plan of `name` for the change `change` describes (e.g. "version v1.35.0"). */
export function renderServerPreview(name: string, change: string, preview: WavesPreview): string {
  const headline = `MachineDeployment ${name}: ${change} (maxSurge ${preview.maxSurge}, maxUnavailable ${preview.maxUnavailable})`;
  if (preview.waves.length === 0) return `${headline}\nnothing to roll out: every machine already matches, or the rollout is paused`;
  return [headline, ...renderWaves(preview)].join('\n');
}
