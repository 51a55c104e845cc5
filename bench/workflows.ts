export { clusterDeploymentWorkflow, cloudObserverWorkflow, machineDeploymentWorkflow } from '../workflows/index';
