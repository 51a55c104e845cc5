/**
 * The GCP provider adapter: machines are Compute Engine instances (providers/gcp/instances.ts), a
 * cluster's infrastructure is a VPC network and a firewall (providers/gcp/network.ts), all through
 * @google-cloud/compute in REST mode. Canonical tags are written as labels with TAG_ENCODINGS.gcp
 * and read back through it. Credentials, endpoint and the environment variables a worker reads
 * are described in providers/gcp/options.ts.
 */
import type { CloudResource, ProviderAdapter } from '../types';
import { createGce } from './compute';
import { instanceOperations } from './instances';
import { networkOperations } from './network';
import type { GcpAdapterOptions } from './options';

export {
  gcpAdapterOptionsFrom,
  GCP_ENDPOINT_ENV,
  GCP_SECRET_FIELDS,
  GCP_ZONE_ENV,
  type GcpAdapterOptions,
  type GcpAdapterOptionsInput,
  type GcpCredentials,
  type GcpEndpoint,
  type ServiceAccountKey,
} from './options';

export function createGcpAdapter(options: GcpAdapterOptions): ProviderAdapter {
  const gce = createGce(options);
  const network = networkOperations(gce);
  const instances = instanceOperations(gce, network.networkFor);

  return {
    platform: 'gcp',
    createMachine: instances.createMachine,
    describeMachine: instances.describeMachine,
    listMachines: instances.listMachines,
    deleteMachine: instances.deleteMachine,
    ensureClusterInfra: network.ensureClusterInfra,
    deleteClusterInfra: network.deleteClusterInfra,

    async *listResources(query) {
      for await (const machine of instances.listMachines(query)) {
        yield { kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags } satisfies CloudResource;
      }
      yield* network.listNetworkResources(query);
    },

    async deleteResource(resource) {
      if (resource.kind === 'machine') return instances.deleteMachine(resource.id);
      return network.deleteNetworkResource(resource);
    },
  };
}
