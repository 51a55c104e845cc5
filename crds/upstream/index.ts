/**
 * Intake of manifests: Slipway's own slipway.dev/v1alpha1 objects pass through
 * validation unchanged; upstream Hive, HyperShift and Cluster API manifests are converted
 * field by field first. A field that cannot be honoured is an error naming its path.
 * Sandbox-safe (pure), so workflows may call it too.
 */
import { displayPath, type FieldError } from '../field-errors';
import { cloneJson, isPlainObject, type JsonObject } from '../json';
import { GROUP_VERSION } from '../schemas/common';
import { KINDS, KIND_NAMES, isKindName, type KindDefinition, type KindName, type KindObjects } from '../schemas/index';
import { validateObject } from '../validate';
import { convertMachineDeployment } from './capi';
import { convertHiveClusterDeployment } from './hive';
import { convertHostedCluster, convertNodePool } from './hypershift';
import { Intake, type ObjectReader } from './reader';

type Converter = (intake: Intake, object: ObjectReader) => JsonObject;

const CONVERTERS: Record<string, Converter> = {
  'hive.openshift.io/v1 ClusterDeployment': convertHiveClusterDeployment,
  'hypershift.openshift.io/v1beta1 HostedCluster': convertHostedCluster,
  'hypershift.openshift.io/v1beta1 NodePool': convertNodePool,
  'cluster.x-k8s.io/v1beta1 MachineDeployment': (intake, object) => convertMachineDeployment(intake, object, 'v1beta1'),
  'cluster.x-k8s.io/v1beta2 MachineDeployment': (intake, object) => convertMachineDeployment(intake, object, 'v1beta2'),
};

/** Every apiVersion/kind convertManifest accepts, Slipway's own first. */
export const ACCEPTED_MANIFEST_TYPES: readonly { apiVersion: string; kind: string }[] = [
  ...KIND_NAMES.map((kind) => ({ apiVersion: GROUP_VERSION, kind })),
  ...KIND_NAMES.flatMap((kind) => (KINDS[kind] as KindDefinition).upstream.map((upstream) => ({ ...upstream }))),
];

export type ConvertResult =
  | {
      readonly ok: true;
      readonly kind: KindName;
      readonly object: KindObjects[KindName];
      /** The apiVersion the manifest arrived in (slipway.dev/v1alpha1 when it needed no conversion). */
      readonly sourceApiVersion: string;
      /**
       * The object in Slipway's layout with only what the manifest says: converted, but
       * without defaults or derived fields. `apply` patches an existing object with its spec,
       * so fields a manifest leaves out keep their values on the server, as kubectl apply does.
       */
      readonly written: JsonObject;
    }
  | { readonly ok: false; readonly errors: FieldError[] };

function acceptedList(): string {
  return ACCEPTED_MANIFEST_TYPES.map((type) => `${type.apiVersion} ${type.kind}`).join(', ');
}

/**
 * Converts one manifest (already parsed from YAML/JSON) into a validated Slipway object.
 * Errors name the path in the manifest as submitted where the problem is an upstream
 * field, and the Slipway path where the converted object fails validation.
 */
export function convertManifest(input: unknown): ConvertResult {
  if (!isPlainObject(input)) {
    return { ok: false, errors: [{ path: displayPath(''), message: 'expected a manifest object with apiVersion, kind, metadata and spec' }] };
  }
  const { apiVersion, kind } = input;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    const errors: FieldError[] = [];
    if (typeof apiVersion !== 'string') errors.push({ path: 'apiVersion', message: `is required; accepted: ${acceptedList()}` });
    if (typeof kind !== 'string') errors.push({ path: 'kind', message: `is required; accepted: ${acceptedList()}` });
    return { ok: false, errors };
  }
  let candidate: unknown;
  if (apiVersion === GROUP_VERSION) {
    if (!isKindName(kind)) {
      return { ok: false, errors: [{ path: 'kind', message: `${GROUP_VERSION} has no kind ${JSON.stringify(kind)}; its kinds are ${KIND_NAMES.join(', ')}` }] };
    }
    candidate = input;
  } else {
    const converter = CONVERTERS[`${apiVersion} ${kind}`];
    if (!converter) {
      return { ok: false, errors: [{ path: displayPath(''), message: `${apiVersion} ${kind} is not accepted; accepted: ${acceptedList()}` }] };
    }
    const intake = new Intake(`${apiVersion} ${kind}`);
    const reader = intake.object('', input);
    if (!reader) return { ok: false, errors: intake.errors };
    candidate = converter(intake, reader);
    if (intake.errors.length > 0) return { ok: false, errors: intake.errors.map((error) => ({ path: displayPath(error.path), message: error.message })) };
  }
  const targetKind = (candidate as { kind: string }).kind;
  if (!isKindName(targetKind)) throw new Error(`converter produced unknown kind ${targetKind}`);
  const validated = validateObject(targetKind, candidate);
  if (!validated.ok) return validated;
  return { ok: true, kind: targetKind, object: validated.object, sourceApiVersion: apiVersion, written: cloneJson(candidate as JsonObject) };
}
