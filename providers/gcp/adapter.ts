/**
 * The GCP provider adapter: machines are Compute Engine instances (providers/gcp/instances.ts), a
 * cluster's infrastructure is a VPC network and a firewall (providers/gcp/network.ts), an internal
 * API load balancer (providers/gcp/load-balancer.ts) whose backend is an unmanaged instance group
 * the control-plane machines join (providers/gcp/instance-group.ts), all through @google-cloud/compute in REST
 * mode, and a private Cloud DNS zone with the API record (providers/gcp/dns.ts, Cloud DNS v1 REST). Canonical tags are written as labels with TAG_ENCODINGS.gcp
 * and read back through it; tagging.ts adds tags afterwards where Compute Engine lets labels change. Credentials, endpoint and the environment variables a worker reads
 * are described in providers/gcp/options.ts.
 */
import type { CloudResource, ProviderAdapter } from '../types';
import { createGce } from './compute';
import { dnsOperations } from './dns';
import { apiInstanceGroups } from './instance-group';
import { GCE_NAME, instanceOperations } from './instances';
import { loadBalancerOperations } from './load-balancer';
import { networkName, networkOperations } from './network';
import type { GcpAdapterOptions } from './options';
import { resourceTagging } from './tagging';

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
  const groups = apiInstanceGroups(gce);
  const instances = instanceOperations(gce, network.networkFor, groups);
  const loadBalancer = loadBalancerOperations(gce, groups);
  const dns = dnsOperations(gce);
  const tagging = resourceTagging(gce);

  return {
    platform: 'gcp',
    canTag: tagging.canTag,
    tagResource: tagging.tagResource,
    createMachine: instances.createMachine,
    describeMachine: instances.describeMachine,
    listMachines: instances.listMachines,
    deleteMachine: instances.deleteMachine,

    async ensureClusterInfra(request) {
      const base = await network.ensureClusterInfra(request);
      const balancer = await loadBalancer.ensureLoadBalancer(request, networkName(request.infraId));
      const records = await dns.ensureApiRecord(request, networkName(request.infraId), balancer.address);
      return { apiURL: base.apiURL, resources: [...base.resources, ...balancer.resources, ...records] };
    },

    // What uses another goes first: the record and zone, the load balancer (rule, backend service, instance group, health check), then firewall and network.
    async deleteClusterInfra(infraId, scope = {}) {
      if (GCE_NAME.test(infraId)) {
        await dns.deleteApiRecord(infraId, scope.managementId);
        await loadBalancer.deleteLoadBalancer(infraId, scope.managementId);
      }
      await network.deleteClusterInfra(infraId, scope.managementId);
    },

    async *listResources(query) {
      for await (const machine of instances.listMachineResources(query)) {
        yield { kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags } satisfies CloudResource;
      }
      yield* dns.listDnsResources(query);
      yield* loadBalancer.listLoadBalancerResources(query);
      yield* network.listNetworkResources(query);
    },

    async deleteResource(resource) {
      if (resource.kind === 'machine') return instances.deleteMachine(resource.id);
      if (resource.kind === 'dnsRecord' && (await dns.deleteDnsResource(resource))) return;
      if (resource.kind === 'loadBalancer' && (await loadBalancer.deleteLoadBalancerResource(resource))) return;
      return network.deleteNetworkResource(resource);
    },
  };
}
