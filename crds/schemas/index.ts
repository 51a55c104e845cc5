/**
 * The registry of Slipway's kinds: one entry per kind with its schemas, names, printer
 * columns and the upstream apiVersions converted into it. Everything that needs to know
 * "all kinds" (validation, CRD generation, the OpenAPI document, the API's routes) reads
 * this table. Pure data: safe to import inside the Temporal workflow sandbox.
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import { API_GROUP, API_VERSION, GROUP_VERSION } from './common';
import { ClusterDeploymentSchema, ClusterDeploymentSpec, ClusterDeploymentStatus, type ClusterDeployment } from './cluster-deployment';
import { HostedClusterSchema, HostedClusterSpec, HostedClusterStatus, type HostedCluster } from './hosted-cluster';
import { NodePoolSchema, NodePoolSpec, NodePoolStatus, type NodePool } from './node-pool';
import { MachineDeploymentSchema, MachineDeploymentSpec, MachineDeploymentStatus, type MachineDeployment } from './machine-deployment';
import { MachineSetSchema, MachineSetSpec, MachineSetStatus, type MachineSet } from './machine-set';
import { MachineSchema, MachineSpec, MachineStatus, type Machine } from './machine';

export { API_GROUP, API_VERSION, GROUP_VERSION };

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  /** 0 shows in `kubectl get`; 1 only with `-o wide`. */
  readonly priority?: number;
}

export interface UpstreamVersion {
  readonly apiVersion: string;
  readonly kind: string;
}

export interface ScaleSubresource {
  readonly specReplicasPath: string;
  readonly statusReplicasPath: string;
  readonly labelSelectorPath?: string;
}

export interface KindDefinition {
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly schema: TObject;
  readonly spec: TSchema;
  readonly status: TSchema;
  readonly printerColumns: readonly PrinterColumn[];
  /** Upstream apiVersion/kind pairs that crds/upstream converts into this kind. */
  readonly upstream: readonly UpstreamVersion[];
  readonly scale?: ScaleSubresource;
  /** Owned kinds are made by Slipway for another kind; users may read them but rarely write them. */
  readonly ownedBy?: string;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const condition = (type: string, field: 'status' | 'reason' | 'message' = 'status') => `.status.conditions[?(@.type=="${type}")].${field}`;

export const KINDS = {
  ClusterDeployment: {
    kind: 'ClusterDeployment',
    listKind: 'ClusterDeploymentList',
    plural: 'clusterdeployments',
    singular: 'clusterdeployment',
    shortNames: ['cd', 'cds'],
    schema: ClusterDeploymentSchema,
    spec: ClusterDeploymentSpec,
    status: ClusterDeploymentStatus,
    printerColumns: [
      { name: 'InfraID', type: 'string', jsonPath: '.status.infraID' },
      { name: 'Platform', type: 'string', jsonPath: '.status.platform' },
      { name: 'Region', type: 'string', jsonPath: '.status.region' },
      { name: 'Version', type: 'string', jsonPath: '.status.installVersion' },
      { name: 'ProvisionStatus', type: 'string', jsonPath: condition('Provisioned', 'reason') },
      { name: 'Ready', type: 'string', jsonPath: condition('Ready'), priority: 1 },
      age,
    ],
    upstream: [{ apiVersion: 'hive.openshift.io/v1', kind: 'ClusterDeployment' }],
  },
  HostedCluster: {
    kind: 'HostedCluster',
    listKind: 'HostedClusterList',
    plural: 'hostedclusters',
    singular: 'hostedcluster',
    shortNames: ['hc', 'hcs'],
    schema: HostedClusterSchema,
    spec: HostedClusterSpec,
    status: HostedClusterStatus,
    printerColumns: [
      { name: 'Version', type: 'string', jsonPath: '.status.version.history[?(@.state=="Completed")].version' },
      { name: 'KubeConfig', type: 'string', jsonPath: '.status.kubeconfig.name' },
      { name: 'Progress', type: 'string', jsonPath: '.status.version.history[?(@.state!="")].state' },
      { name: 'Available', type: 'string', jsonPath: condition('Available') },
      { name: 'Progressing', type: 'string', jsonPath: condition('Progressing') },
      { name: 'Message', type: 'string', jsonPath: condition('Available', 'message') },
      { name: 'InfraID', type: 'string', jsonPath: '.status.infraID', priority: 1 },
      age,
    ],
    upstream: [{ apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'HostedCluster' }],
  },
  NodePool: {
    kind: 'NodePool',
    listKind: 'NodePoolList',
    plural: 'nodepools',
    singular: 'nodepool',
    shortNames: ['np', 'nps'],
    schema: NodePoolSchema,
    spec: NodePoolSpec,
    status: NodePoolStatus,
    printerColumns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
      { name: 'Desired Nodes', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Current Nodes', type: 'integer', jsonPath: '.status.replicas' },
      { name: 'Autoscaling', type: 'string', jsonPath: condition('AutoscalingEnabled') },
      { name: 'Autorepair', type: 'boolean', jsonPath: '.spec.management.autoRepair' },
      { name: 'Version', type: 'string', jsonPath: '.status.version' },
      { name: 'Ready', type: 'string', jsonPath: condition('Ready') },
      { name: 'Message', type: 'string', jsonPath: condition('Ready', 'message'), priority: 1 },
      age,
    ],
    upstream: [{ apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'NodePool' }],
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  },
  MachineDeployment: {
    kind: 'MachineDeployment',
    listKind: 'MachineDeploymentList',
    plural: 'machinedeployments',
    singular: 'machinedeployment',
    shortNames: ['md', 'mds'],
    schema: MachineDeploymentSchema,
    spec: MachineDeploymentSpec,
    status: MachineDeploymentStatus,
    printerColumns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Replicas', type: 'integer', jsonPath: '.status.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      { name: 'Updated', type: 'integer', jsonPath: '.status.updatedReplicas' },
      { name: 'Unavailable', type: 'integer', jsonPath: '.status.unavailableReplicas' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      age,
      { name: 'Version', type: 'string', jsonPath: '.spec.template.spec.version' },
    ],
    upstream: [
      { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment' },
      { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment' },
    ],
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
  },
  MachineSet: {
    kind: 'MachineSet',
    listKind: 'MachineSetList',
    plural: 'machinesets',
    singular: 'machineset',
    shortNames: ['ms'],
    schema: MachineSetSchema,
    spec: MachineSetSpec,
    status: MachineSetStatus,
    printerColumns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Replicas', type: 'integer', jsonPath: '.status.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      { name: 'Available', type: 'integer', jsonPath: '.status.availableReplicas' },
      age,
      { name: 'Version', type: 'string', jsonPath: '.spec.template.spec.version' },
    ],
    upstream: [],
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    ownedBy: 'MachineDeployment',
  },
  Machine: {
    kind: 'Machine',
    listKind: 'MachineList',
    plural: 'machines',
    singular: 'machine',
    shortNames: ['ma'],
    schema: MachineSchema,
    spec: MachineSpec,
    status: MachineStatus,
    printerColumns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName' },
      { name: 'NodeName', type: 'string', jsonPath: '.status.nodeRef.name' },
      { name: 'ProviderID', type: 'string', jsonPath: '.spec.providerID' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      age,
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
    ],
    upstream: [],
    ownedBy: 'MachineSet',
  },
} as const satisfies Record<string, KindDefinition>;

export type KindName = keyof typeof KINDS;

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** The TypeScript type of each kind's full object. */
export interface KindObjects {
  ClusterDeployment: ClusterDeployment;
  HostedCluster: HostedCluster;
  NodePool: NodePool;
  MachineDeployment: MachineDeployment;
  MachineSet: MachineSet;
  Machine: Machine;
}

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(KINDS, kind);
}

export function kindDefinition(kind: KindName): KindDefinition {
  return KINDS[kind];
}

/** Looks a kind up by its plural, singular or short name, as kubectl does. */
export function kindByResourceName(name: string): KindName | undefined {
  const lower = name.toLowerCase();
  return KIND_NAMES.find((kind) => {
    const definition: KindDefinition = KINDS[kind];
    return definition.plural === lower || definition.singular === lower || definition.kind.toLowerCase() === lower || definition.shortNames.includes(lower);
  });
}

export type { ClusterDeployment, HostedCluster, NodePool, MachineDeployment, MachineSet, Machine };
