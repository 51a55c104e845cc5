/**
 * TypeBox schemas of the sweep endpoints (services/api/routes/sweeps.ts): they validate requests,
 * shape responses, and give the OpenAPI document its paths (services/api/openapi.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { DNS_LABEL_PATTERN, GROUP_VERSION } from '../../../crds/schemas/common';
import { PLATFORMS } from '../../../crds/schemas/cluster-deployment';
import { SWEEP_DECISIONS } from '../../../workflows/planners/sweep/decision';

const Label = Type.String({ pattern: DNS_LABEL_PATTERN, minLength: 1, maxLength: 63 });
const LongName = Type.String({ pattern: DNS_LABEL_PATTERN, minLength: 1, maxLength: 253 });

export const NamespaceParams = Type.Object({ namespace: Label });
export const SweepItemParams = Type.Object({ namespace: Label, name: LongName });
export const ScheduleItemParams = Type.Object({ namespace: Label, name: Label });

export const SweepListQuery = Type.Object({
  watch: Type.Optional(Type.String({ maxLength: 10 })),
  resourceVersion: Type.Optional(Type.String({ maxLength: 64 })),
  timeoutSeconds: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'end the watch after this many seconds (1-9999)' })),
  allowWatchBookmarks: Type.Optional(Type.String({ maxLength: 10 })),
});

const MAX_MIN_AGE_SECONDS = 90 * 24 * 3600;

/** What one sweep does: where, whether it deletes, and its safety settings. */
export const SweepSettingsSchema = Type.Object(
  {
    platform: Type.Union(PLATFORMS.map((platform) => Type.Literal(platform))),
    region: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9-]*$' })),
    credentialsSecret: Type.Optional(Label),
    mode: Type.Optional(Type.Union([Type.Literal('dry-run'), Type.Literal('delete')], { description: 'dry-run (the default) reports and changes nothing' })),
    minAgeSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_MIN_AGE_SECONDS, description: 'the grace period; 3600 when absent' })),
    maxDeletions: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'deletions (and marks) per run; 100 when absent' })),
  },
  { additionalProperties: false },
);
export type SweepSettingsBody = Static<typeof SweepSettingsSchema>;

const Metadata = (name: typeof Label | typeof LongName) => Type.Optional(Type.Object({ name: Type.Optional(name) }));

export const SweepCreateBody = Type.Object({
  apiVersion: Type.Optional(Type.Literal(GROUP_VERSION)),
  kind: Type.Optional(Type.Literal('Sweep')),
  metadata: Metadata(LongName),
  spec: SweepSettingsSchema,
});
export type SweepCreate = Static<typeof SweepCreateBody>;

export const ScheduleSpecSchema = Type.Object(
  {
    ...SweepSettingsSchema.properties,
    intervalSeconds: Type.Integer({ minimum: 5, maximum: 7 * 24 * 3600, description: 'how often a sweep starts; a run still going when the next is due makes that one skip' }),
    paused: Type.Optional(Type.Boolean()),
    keepReports: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'the Sweep objects of this schedule kept listed, newest first; 20 when absent' })),
  },
  { additionalProperties: false },
);
export type ScheduleSpec = Static<typeof ScheduleSpecSchema>;

export const ScheduleCreateBody = Type.Object({
  apiVersion: Type.Optional(Type.Literal(GROUP_VERSION)),
  kind: Type.Optional(Type.Literal('SweepSchedule')),
  metadata: Type.Object({ name: Label }),
  spec: ScheduleSpecSchema,
});
export type ScheduleCreate = Static<typeof ScheduleCreateBody>;

const Counts = Type.Object(Object.fromEntries(SWEEP_DECISIONS.map((decision) => [decision, Type.Integer()])));
const Decision = Type.Object({
  kind: Type.String(),
  id: Type.String(),
  name: Type.String(),
  cluster: Type.Optional(Type.String()),
  decision: Type.Union(SWEEP_DECISIONS.map((decision) => Type.Literal(decision))),
  code: Type.String(),
  reason: Type.String(),
});
const Condition = Type.Object({ type: Type.String(), status: Type.String(), reason: Type.String(), message: Type.String(), lastTransitionTime: Type.String() });

export const SweepObjectSchema = Type.Object({
  apiVersion: Type.String(),
  kind: Type.Literal('Sweep'),
  metadata: Type.Object({
    name: Type.String(),
    namespace: Type.String(),
    creationTimestamp: Type.String(),
    resourceVersion: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  }),
  spec: Type.Object({
    platform: Type.String(),
    region: Type.String(),
    credentialsSecret: Type.Optional(Type.String()),
    mode: Type.String(),
    minAgeSeconds: Type.Integer(),
    maxDeletions: Type.Integer(),
    schedule: Type.Optional(Type.String()),
  }),
  status: Type.Object({
    phase: Type.Union([Type.Literal('Running'), Type.Literal('Completed'), Type.Literal('Held'), Type.Literal('CapReached'), Type.Literal('Failed')]),
    startedAt: Type.String(),
    finishedAt: Type.Optional(Type.String()),
    scanned: Type.Integer(),
    counts: Counts,
    reasons: Type.Record(Type.String(), Type.Integer()),
    decisions: Type.Array(Decision),
    decisionsTruncated: Type.Boolean(),
    conditions: Type.Array(Condition),
  }),
});

export const SweepListSchema = Type.Object({
  apiVersion: Type.String(),
  kind: Type.Literal('SweepList'),
  metadata: Type.Object({ resourceVersion: Type.String(), continue: Type.Optional(Type.String()) }),
  items: Type.Array(SweepObjectSchema),
});

export const ScheduleObjectSchema = Type.Object({
  apiVersion: Type.String(),
  kind: Type.Literal('SweepSchedule'),
  metadata: Type.Object({ name: Type.String(), namespace: Type.String() }),
  spec: ScheduleSpecSchema,
  status: Type.Object({
    paused: Type.Boolean(),
    runs: Type.Integer({ description: 'sweeps this schedule has started' }),
    skipped: Type.Integer({ description: 'starts skipped because the previous sweep was still running' }),
    recentSweeps: Type.Array(Type.String(), { description: 'names of the latest sweeps it started' }),
    nextRunAt: Type.Optional(Type.String()),
  }),
});
export type ScheduleObject = Static<typeof ScheduleObjectSchema>;

export const ScheduleListSchema = Type.Object({ apiVersion: Type.String(), kind: Type.Literal('SweepScheduleList'), items: Type.Array(ScheduleObjectSchema) });
