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

export const LocalObjectReference = Type.Object({ name: ObjectName }, { additionalProperties: false });

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
