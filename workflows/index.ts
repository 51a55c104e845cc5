export { clusterDeploymentWorkflow } from './cluster-deployment/workflow';
