export { clusterDeploymentWorkflow } from './cluster-deployment/workflow';
export { machineDeploymentWorkflow } from './machine-deployment/workflow';
export { cloudObserverWorkflow } from './cloud-observer/workflow';
export { sweepWorkflow } from './sweep/workflow';
export { hostedClusterWorkflow } from './hosted-cluster/workflow';
export { nodePoolWorkflow } from './node-pool/workflow';
