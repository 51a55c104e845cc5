/** Entity identity: one workflow per object, its ID the resource key. */

export function entityWorkflowId(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** "MachineDeployment default/demo", as messages name an object. */
export function entityLabel(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespace}/${name}`;
}
