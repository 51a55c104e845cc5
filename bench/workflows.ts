export { clusterDeploymentWorkflow, cloudObserverWorkflow, machineDeploymentWorkflow } from '../workflows/index';
export { bareProvisionWorkflow } from './bare-workflow';
