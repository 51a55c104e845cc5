export { clusterDeploymentWorkflow } from '../workflows/index';
export { bareProvisionWorkflow } from './bare-workflow';
