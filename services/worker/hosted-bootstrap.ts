/**
 * What a NodePool machine of a hosted cluster is given at creation to join it: a kubeconfig
 * with a client certificate of its own (system:node:NODE in group system:nodes), signed by the
 * cluster's CA here, inside the createMachine activity, as a machine's ignition would carry one.
 */
import { ApplicationFailure } from '@temporalio/common';
import { NODE_LABEL, type MachineBootstrap } from '../../providers/hosted-node';
import type { HostedClusterRef } from '../../workflows/hosted-cluster/control-plane-api';
import { issueClientCertificate } from './hosted-pki';
import { readHostedApiServerURL, readHostedPki, renderKubeconfig } from './hosted-secrets';
import type { SecretStore } from './secrets';

export interface NodeIdentity {
  /** The Node's name: the machine's cloud name, as a cloud's hostname would be. */
  readonly nodeName: string;
  readonly machineName: string;
  readonly nodePool: string;
}

export async function machineBootstrap(secrets: SecretStore, ref: HostedClusterRef, node: NodeIdentity): Promise<MachineBootstrap> {
  const server = await readHostedApiServerURL(secrets, ref);
  if (!server) {
    // Retryable: the HostedCluster's workflow records the address as soon as its control plane answers.
    throw ApplicationFailure.retryable(`hosted cluster ${ref.namespace}/${ref.name} has no API server address yet; its machines join once the control plane has started.`, 'ControlPlaneNotReady');
  }
  const pki = await readHostedPki(secrets, ref);
  const user = `system:node:${node.nodeName}`;
  const credential = await issueClientCertificate({ certificate: pki.caCertificate, key: pki.caKey }, { commonName: user, organizations: ['system:nodes'] });
  return {
    apiServerURL: server,
    kubeconfig: renderKubeconfig({ clusterName: ref.name, server, caCertificate: pki.caCertificate, user, clientCertificate: credential.certificate, clientKey: credential.key }),
    nodeName: node.nodeName,
    labels: { [NODE_LABEL.machine]: node.machineName, [NODE_LABEL.nodePool]: node.nodePool, [NODE_LABEL.hostname]: node.nodeName },
  };
}
