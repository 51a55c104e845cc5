export { clusterDeploymentWorkflow } from './cluster-deployment/workflow';
export { machineDeploymentWorkflow } from './machine-deployment/workflow';
