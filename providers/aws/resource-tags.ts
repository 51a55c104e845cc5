/**
 * Adds canonical tags to a resource the adapter listed, through the service that owns it: EC2
 * CreateTags for instances, VPCs, subnets and security groups; ELB AddTags for load balancers and
 * target groups (their IDs are ARNs); Route 53 ChangeTagsForResource for hosted zones. Each call
 * adds or overwrites only the keys it is given, so repeating it is harmless.
 */
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { AddTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeTagsForResourceCommand } from '@aws-sdk/client-route-53';
import { ProviderError, type CanonicalTags, type CloudResource } from '../types';
import { bareZoneId } from './dns';
import { instanceIdOf } from './instances';
import type { AwsServices } from './services';
import { encodeTags } from './tags';

export function resourceTagging(services: AwsServices) {
  return async function tagResource(resource: CloudResource, tags: CanonicalTags): Promise<void> {
    const operation = `tag ${resource.kind}`;
    const written = Object.entries(encodeTags(operation, tags)).map(([Key, Value]) => ({ Key, Value }));
    if (resource.kind === 'loadBalancer') {
      await services.elb.call(operation, () => services.elb.client.send(new AddTagsCommand({ ResourceArns: [resource.id], Tags: written })));
      return;
    }
    if (resource.kind === 'dnsRecord') {
      const zoneId = bareZoneId(resource.id);
      await services.route53.call(operation, () => services.route53.client.send(new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId, AddTags: written })));
      return;
    }
    const id = resource.kind === 'machine' ? instanceIdOf(resource.id) : resource.id;
    if (id === undefined) throw new ProviderError('invalid', `aws ${operation}: "${resource.id}" is not an EC2 machine's providerId`, { operation });
    await services.ec2.call(operation, () => services.ec2.client.send(new CreateTagsCommand({ Resources: [id], Tags: written })));
  };
}
