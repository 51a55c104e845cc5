export { clusterDeploymentWorkflow, machineDeploymentWorkflow } from '../workflows/index';
export { bareProvisionWorkflow } from './bare-workflow';
