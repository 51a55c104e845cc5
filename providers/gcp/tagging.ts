/**
 * Adding canonical tags to a resource the adapter listed, where Compute Engine lets labels change
 * after creation: an instance and a forwarding rule (setLabels with the label fingerprint read just
 * before, so a concurrent change is not overwritten: 412 conditionNotMet reads and tries again),
 * and a Cloud DNS managed zone (a PATCH of its labels). An API record has no labels of its own: it
 * is listed with its zone's, so tagging it tags its zone. The labels already there are kept as
 * they are, Slipway's or not.
 *
 * Networks, firewalls, health checks, backend services and instance groups keep their tags in a
 * description that Compute Engine does not let change: canTag says no, and tagResource refuses as
 * 'invalid' without a call. A sweep keeps their marks in its own store (services/worker/sweep-marks.ts).
 */
import type { protos } from '@google-cloud/compute';
import { ProviderError, type CanonicalTags, type CloudResource } from '../types';
import type { Gce } from './compute';
import { GceError } from './errors';
import { encodeLabels } from './labels';
import { operationIn, parseProviderId } from './instances';
import { settleOperation } from './operations';

type Operation = protos.google.cloud.compute.v1.IOperation;
type Labels = Record<string, string>;

const FORWARDING_RULE_ID = /^projects\/([^/]+)\/regions\/([^/]+)\/forwardingRules\/([^/]+)$/;
const DNS_ID = /^projects\/([^/]+)\/managedZones\/([^/]+)(?:\/rrsets\/[^/]+\/A)?$/;
/** Reads and sets again this many times when another writer changed the labels in between. */
const FINGERPRINT_ATTEMPTS = 3;

export interface ResourceTagging {
  canTag(resource: CloudResource): boolean;
  tagResource(resource: CloudResource, tags: CanonicalTags): Promise<void>;
}

export function resourceTagging(gce: Gce): ResourceTagging {
  const zonalSettle = (operation: string, zone: string, started: Operation) =>
    settleOperation(gce, operation, started, (name) => async (clients, settings, project) => (await clients.zoneOperations.get({ project, zone, operation: name }, settings))[0]);
  const regionalSettle = (operation: string, region: string, started: Operation) =>
    settleOperation(gce, operation, started, (name) => async (clients, settings, project) => (await clients.regionOperations.get({ project, region, operation: name }, settings))[0]);

  /** One read of the labels and their fingerprint, then setLabels; again on a stale fingerprint. */
  const withFingerprint = async (operation: string, read: () => Promise<{ labels: Labels; fingerprint: string }>, write: (labels: Labels, fingerprint: string) => Promise<void>, added: Labels): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      const current = await read();
      try {
        await write({ ...current.labels, ...added }, current.fingerprint);
        return;
      } catch (error) {
        const stale = error instanceof GceError && error.reason === 'conditionNotMet';
        if (!stale) throw error;
        if (attempt >= FINGERPRINT_ATTEMPTS) throw new ProviderError('retryable', `gcp ${operation}: the labels kept changing while they were being set (the call is retried)`, { operation });
      }
    }
  };

  const tagInstance = async (resource: CloudResource, added: Labels): Promise<void> => {
    const operation = 'tag machine';
    const target = parseProviderId(resource.id);
    const project = await gce.project();
    if (!target || target.project !== project) throw new ProviderError('invalid', `gcp ${operation}: "${resource.id}" is not a machine of project ${project}`, { operation });
    const { zone, name: instance } = target;
    await withFingerprint(
      operation,
      async () => {
        const [found] = await gce.call(operation, (clients, settings) => clients.instances.get({ project, zone, instance }, settings));
        return { labels: { ...(found.labels ?? {}) }, fingerprint: found.labelFingerprint ?? '' };
      },
      async (labels, labelFingerprint) => {
        const [answer] = await gce.call(operation, (clients, settings) => clients.instances.setLabels({ project, zone, instance, instancesSetLabelsRequestResource: { labels, labelFingerprint } }, settings));
        await zonalSettle(operation, zone, operationIn(answer));
      },
      added,
    );
  };

  const tagForwardingRule = async (region: string, forwardingRule: string, added: Labels): Promise<void> => {
    const operation = 'tag forwarding rule';
    const project = await gce.project();
    await withFingerprint(
      operation,
      async () => {
        const [found] = await gce.call(operation, (clients, settings) => clients.forwardingRules.get({ project, region, forwardingRule }, settings));
        return { labels: { ...(found.labels ?? {}) }, fingerprint: found.labelFingerprint ?? '' };
      },
      async (labels, labelFingerprint) => {
        const [answer] = await gce.call(operation, (clients, settings) =>
          clients.forwardingRules.setLabels({ project, region, resource: forwardingRule, regionSetLabelsRequestResource: { labels, labelFingerprint } }, settings),
        );
        await regionalSettle(operation, region, operationIn(answer));
      },
      added,
    );
  };

  // Managed zones have no fingerprint: the read and the patch are as close together as Cloud DNS allows.
  const tagZone = async (zone: string, added: Labels): Promise<void> => {
    const operation = 'tag cluster DNS zone';
    const path = `managedZones/${encodeURIComponent(zone)}`;
    const found = await gce.dns<{ labels?: Labels }>(operation, { method: 'GET', path });
    await gce.dns<unknown>(operation, { method: 'PATCH', path, body: { labels: { ...(found.labels ?? {}), ...added } } });
  };

  const canTag = (resource: CloudResource): boolean =>
    resource.kind === 'machine' || (resource.kind === 'loadBalancer' && FORWARDING_RULE_ID.test(resource.id)) || (resource.kind === 'dnsRecord' && DNS_ID.test(resource.id));

  return {
    canTag,
    async tagResource(resource, tags) {
      const operation = `tag ${resource.kind}`;
      if (!canTag(resource)) {
        throw new ProviderError('invalid', `gcp ${operation}: ${resource.id} keeps its tags in a description Compute Engine does not let change, so it cannot be tagged`, { operation });
      }
      const added = encodeLabels(operation, tags);
      if (resource.kind === 'machine') return tagInstance(resource, added);
      const rule = FORWARDING_RULE_ID.exec(resource.id);
      if (rule) return tagForwardingRule(rule[2] ?? '', rule[3] ?? '', added);
      return tagZone(DNS_ID.exec(resource.id)?.[2] ?? '', added);
    },
  };
}
