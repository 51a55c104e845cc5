/**
 * /openapi.json lists every status code the server answers, and bodies generated at random
 * (JSON and YAML, fast-check) never get a 5xx or an undocumented status. Real Redis and
 * Temporal, no worker: the objects the requests name do not exist.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareApi } from '../support/api';
import { documentedStatuses, documentOf, type OpenApiDocument } from '../support/openapi';

const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';
const CDS = `${NS}/clusterdeployments`;
const MDS = `${NS}/machinedeployments`;

let api: Awaited<ReturnType<typeof startBareApi>>;
let document: OpenApiDocument;
beforeAll(async () => {
  api = await startBareApi();
  document = documentOf(api.app);
});
afterAll(async () => {
  // A generated body that happened to be a valid object started a workflow nothing runs.
  for await (const execution of api.peers.client.workflow.list({ query: `TaskQueue = '${api.peers.taskQueue}' AND ExecutionStatus = 'Running'` })) {
    await api.peers.client.workflow.getHandle(execution.workflowId).terminate('test over').catch(() => undefined);
  }
  await api?.close();
});

async function send(method: string, url: string, body?: { payload: string; contentType: string }, token = true) {
  const response = await api.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(token ? { authorization: `Bearer ${api.token}` } : {}), ...(body ? { 'content-type': body.contentType } : {}) },
    ...(body ? { payload: body.payload } : {}),
  });
  return response.statusCode;
}

const json = (value: unknown) => ({ payload: JSON.stringify(value), contentType: 'application/json' });
const yaml = (text: string) => ({ payload: text, contentType: 'application/yaml' });

describe('/openapi.json', () => {
  it.each([
    ['POST', CDS, 422, json({ kind: 'ClusterDeployment' })],
    ['POST', CDS, 400, { payload: '{', contentType: 'application/json' }],
    ['POST', CDS, 413, { payload: `"${'x'.repeat(1_100_000)}"`, contentType: 'application/json' }],
    ['POST', CDS, 415, { payload: '<x/>', contentType: 'application/xml' }],
    ['GET', `${CDS}?watch=1&resourceVersion=1-0`, 410, undefined],
    ['GET', `${CDS}?limit=0`, 400, undefined],
    ['GET', `${CDS}/no-such-object`, 404, undefined],
    ['PATCH', `${CDS}/no-such-object`, 404, json({ spec: {} })],
    ['PATCH', `${CDS}/no-such-object`, 422, json({ status: {} })],
    ['DELETE', `${CDS}/no-such-object`, 404, undefined],
    ['GET', `${MDS}/no-such-object/scale`, 404, undefined],
    ['PUT', `${MDS}/no-such-object/scale`, 422, json({ spec: {} })],
    ['POST', `${MDS}/no-such-object:plan`, 400, yaml('patch: &a {spec: *a}')],
    ['POST', `${MDS}/no-such-object:undo`, 404, json({})],
    ['DELETE', `${MDS}/no-such-object/machines/m-1`, 404, undefined],
  ] as const)('documents %s %s answering %s', async (method, url, status, body) => {
    expect(await send(method, url, body)).toBe(status);
    expect(documentedStatuses(document, method, url)).toContain(String(status));
  });

  it('documents 401 on every operation that needs a token', async () => {
    for (const [method, url] of [['GET', CDS], ['POST', CDS], ['GET', `${MDS}/x/scale`], ['POST', `${MDS}/x:plan`], ['GET', '/metrics']] as const) {
      expect(await send(method, url, undefined, false)).toBe(401);
      expect(documentedStatuses(document, method, url)).toContain('401');
    }
  });
});

/** YAML from a JSON value, with some of what YAML has and JSON has not spliced in at random. */
const yamlBodies = fc
  .tuple(fc.jsonValue({ maxDepth: 6 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom('!!omap ', '!!set ', '!!timestamp ', '!!binary ', '!x ', '&a ', '*a', '<<: ', '? ', '- ', '{', '[', '\n  ', ': ', '"', '---\n')), { maxLength: 4 }))
  .map(([value, splices]) => splices.reduce((text, [at, piece]) => text.slice(0, at % (text.length + 1)) + piece + text.slice(at % (text.length + 1)), stringify(value)));

const manifests = fc.record({
  apiVersion: fc.constantFrom('slipway.dev/v1alpha1', 'hive.openshift.io/v1', 'cluster.x-k8s.io/v1beta1', 'cluster.x-k8s.io/v1beta2', 'v1'),
  kind: fc.constantFrom('ClusterDeployment', 'MachineDeployment', 'List'),
  metadata: fc.record({ name: fc.string({ maxLength: 70 }), annotations: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
  spec: fc.jsonValue({ maxDepth: 4 }),
});

/** What a hostile client sends: nesting far past any limit, aliases that contain themselves, tags JSON has no value for. */
const hostile = fc.oneof(
  fc.integer({ min: 1, max: 30_000 }).map((depth) => yaml(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  fc.integer({ min: 1, max: 30_000 }).map((depth) => ({ payload: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, contentType: 'application/json' })),
  fc
    .tuple(fc.constantFrom('spec', 'metadata', 'patch', 'a'), fc.constantFrom('{b: *a}', '[*a]', '{b: [x, {c: *a}]}', '[[[*a]]]'))
    .map(([key, inner]) => yaml(`${key}: &a ${inner}\n`)),
  fc
    .tuple(fc.constantFrom('!!omap [{a: b}]', '!!set {a}', '!!timestamp 2001-12-14', '!!binary aGVsbG8=', '!local x', '!!python/object {}'), fc.constantFrom('spec', 'metadata', 'patch'))
    .map(([tagged, key]) => yaml(`${key}: ${tagged}\n`)),
);

const bodies = fc.oneof(
  hostile,
  fc.jsonValue({ maxDepth: 8 }).map(json),
  manifests.map(json),
  manifests.map((value) => yaml(stringify(value))),
  yamlBodies.map(yaml),
  fc.string({ maxLength: 200 }).map(yaml),
);

const targets = fc.constantFrom(['POST', CDS], ['POST', MDS], ['PATCH', `${CDS}/fuzz-target`], ['POST', `${MDS}/fuzz-target:plan`], ['PUT', `${MDS}/fuzz-target/scale`]);

describe('generated bodies', () => {
  it('never get a 5xx or an undocumented status, and leave the server answering', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(targets, bodies, async ([method, url], body) => {
        const status = await send(method, url, body);
        expect(status).toBeLessThan(500);
        expect(documentedStatuses(document, method, url)).toContain(String(status));
      }),
      // A new seed each run, so the bodies tried add up across runs; fast-check prints the seed of a failure to replay it.
      { numRuns: 3_000 },
    );
    expect(await send('GET', '/healthz', undefined, false)).toBe(200);
  });
});
