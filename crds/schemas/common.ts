import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const API_GROUP = 'slipway.dev';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** RFC 1123 label, as Kubernetes requires of namespaces and most object names. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const ObjectName = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: DNS_LABEL_PATTERN,
  description: 'Lowercase letters, digits and "-", starting and ending with a letter or digit (RFC 1123 label).',
});

export const ObjectMeta = Type.Object(
  {
    name: ObjectName,
    namespace: Type.Optional(ObjectName),
    uid: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer({ minimum: 1 })),
    resourceVersion: Type.Optional(Type.String()),
    creationTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
    deletionTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 63 }))),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    finalizers: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type ObjectMeta = Static<typeof ObjectMeta>;

export const ConditionStatus = Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]);

export const Condition = Type.Object(
  {
    type: Type.String(),
    status: ConditionStatus,
    reason: Type.String(),
    message: Type.String(),
    observedGeneration: Type.Optional(Type.Integer()),
    lastTransitionTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Condition = Static<typeof Condition>;

/** Names the cluster (ClusterDeployment or HostedCluster, same namespace) an object belongs to. */
export const ClusterReference = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: DNS_LABEL_PATTERN,
  description: 'metadata.name of the ClusterDeployment or HostedCluster, in the same namespace, that this object belongs to.',
});

export const LocalObjectReference = Type.Object({ name: ObjectName }, { additionalProperties: false });

/**
 * Names that reach a cloud (cluster names, infra IDs) must be legal on every cloud we
 * support: GCP labels and resource names are the strictest (lowercase, start with a
 * letter), and infra IDs append a suffix, hence the 27-character limit.
 */
export const INFRA_SAFE_NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
export const INFRA_SAFE_NAME_MAX_LENGTH = 27;
export const INFRA_SAFE_NAME_RULE =
  'a name every cloud accepts: lowercase letters, digits and "-", starting with a letter, ending with a letter or digit, at most 27 characters';

export const InfraSafeName = Type.String({
  minLength: 1,
  maxLength: INFRA_SAFE_NAME_MAX_LENGTH,
  pattern: INFRA_SAFE_NAME_PATTERN,
  description: `Must be ${INFRA_SAFE_NAME_RULE}.`,
});

/** Conditions keyed by type, as Kubernetes list-map semantics (server-side apply merges by type). */
export const Conditions = Type.Array(Condition, {
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  description: 'Conditions keyed by type; the summary condition is Ready.',
});

/** Marker read by crds/generate.ts and the error formatter: an integer or a percentage string. */
export const INT_OR_STRING = 'x-kubernetes-int-or-string';

/** An absolute count or a percentage such as "25%", as Kubernetes' IntOrString for maxSurge and maxUnavailable. */
export function IntOrPercent(options: { default?: number | string; description?: string } = {}) {
  return Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^(100|[1-9]?[0-9])%$' })], {
    [INT_OR_STRING]: true,
    ...options,
  });
}

export const LabelSelectorRequirement = Type.Object(
  {
    key: Type.String({ minLength: 1 }),
    operator: Type.Union([Type.Literal('In'), Type.Literal('NotIn'), Type.Literal('Exists'), Type.Literal('DoesNotExist')]),
    values: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 63 }))),
    matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement)),
  },
  { additionalProperties: false },
);
export type LabelSelector = Static<typeof LabelSelector>;

/** The labels and annotations a template stamps onto the objects made from it. */
export const TemplateMeta = Type.Object(
  {
    labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 63 }))),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export const DateTime = (description?: string) =>
  Type.String(description === undefined ? { format: 'date-time' } : { format: 'date-time', description });

/** Wraps a kind's spec and status schemas into the full object schema. */
export function kubeObject<Spec extends TSchema, Status extends TSchema>(kind: string, spec: Spec, status: Status) {
  return Type.Object(
    {
      apiVersion: Type.Literal(GROUP_VERSION),
      kind: Type.Literal(kind),
      metadata: ObjectMeta,
      spec,
      status: Type.Optional(status),
    },
    { additionalProperties: false },
  );
}

export interface KubeObject<Spec, Status> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}
