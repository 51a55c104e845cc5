/**
 * A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, a CEL rule the API server
 * evaluates itself) that refuses `kubectl delete` of any Slipway object annotated
 * `slipway.dev/protected-delete: "true"`, with a message saying how to lift it. Without it the
 * object would be accepted for deletion and then held, terminating, by its finalizer.
 * Applied with the CRDs, by server-side apply under the same field manager.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { JsonObject } from '../../crds/json';
import { PROTECTED_DELETE_ANNOTATION } from '../../workflows/entity/handlers';
import { FIELD_MANAGER } from './crds';

export const PROTECTED_DELETE_POLICY = 'slipway-protected-delete';
const ADMISSION = { group: 'admissionregistration.k8s.io', version: 'v1' } as const;
const SLIPWAY_RESOURCES = ['clusterdeployments', 'machinedeployments', 'hostedclusters', 'nodepools', 'machinesets', 'machines'];

function policy(): JsonObject {
  const annotations = 'oldObject.metadata.annotations';
  return {
    apiVersion: `${ADMISSION.group}/${ADMISSION.version}`,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: PROTECTED_DELETE_POLICY },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: ['slipway.dev'], apiVersions: ['*'], operations: ['DELETE'], resources: SLIPWAY_RESOURCES }] },
      validations: [
        {
          expression: `!has(${annotations}) || !('${PROTECTED_DELETE_ANNOTATION}' in ${annotations}) || ${annotations}['${PROTECTED_DELETE_ANNOTATION}'] != 'true'`,
          messageExpression: `'this ' + oldObject.kind + ' is protected from deletion by its ${PROTECTED_DELETE_ANNOTATION} annotation; remove it first (kubectl annotate ' + oldObject.kind.lowerAscii() + ' ' + oldObject.metadata.name + ' ${PROTECTED_DELETE_ANNOTATION}-), then delete again'`,
          reason: 'Forbidden',
        },
      ],
    },
  };
}

function binding(): JsonObject {
  return {
    apiVersion: `${ADMISSION.group}/${ADMISSION.version}`,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: PROTECTED_DELETE_POLICY },
    spec: { policyName: PROTECTED_DELETE_POLICY, validationActions: ['Deny'] },
  };
}

/** Installs or upgrades the policy and its binding; applying again changes nothing. */
export async function installProtectedDeletePolicy(kubeConfig: KubeConfig): Promise<void> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const serverSideApply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  for (const [plural, body] of [
    ['validatingadmissionpolicies', policy()],
    ['validatingadmissionpolicybindings', binding()],
  ] as const) {
    await api.patchClusterCustomObject({ ...ADMISSION, plural, name: PROTECTED_DELETE_POLICY, body, fieldManager: FIELD_MANAGER, force: true }, serverSideApply);
  }
}
