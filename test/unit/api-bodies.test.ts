/** The API's body limits, through the real server on the run's Redis and Temporal (no worker needed). */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMITS } from '../../crds/bounds';
import { parseManifests } from '../../crds/manifests';
import { startBareApi, type TestApi } from '../support/api';

const BASE = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';
const BODY_LIMIT_BYTES = 1024 * 1024;

let api: TestApi;
beforeAll(async () => {
  api = await startBareApi();
});
afterAll(async () => api?.close());

const manifestYaml = (annotations: string) =>
  ['apiVersion: slipway.dev/v1alpha1', 'kind: ClusterDeployment', 'metadata:', '  name: tagged', `  annotations: ${annotations}`, 'spec:', '  clusterName: tagged', '  baseDomain: example.test', '  platform: {simulated: {region: local-1}}'].join('\n');

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };

function expectRefusal(response: { status: number; contentType: string; body: unknown }, path: RegExp, message: RegExp): void {
  expect(response.status).toBe(400);
  expect(response.contentType).toContain('application/problem+json');
  const problem = response.body as Problem;
  expect(problem.errors?.some((error) => path.test(error.path) && message.test(error.message)), JSON.stringify(problem)).toBe(true);
}

describe('bodies beyond what the API reads', () => {
  it.each([
    ['!!omap', '!!omap [{slipway.dev/protected-delete: "true"}]'],
    ['!!set', '!!set {a}'],
    ['!!timestamp', '{a: !!timestamp 2001-12-14}'],
    ['!!binary', '{a: !!binary aGVsbG8=}'],
    ['!vendor', '{a: !vendor x}'],
  ])('refuses the YAML tag %s by name instead of dropping the value', async (tag, annotations) => {
    const response = await api.request('POST', BASE, { raw: manifestYaml(annotations), contentType: 'application/yaml' });
    expectRefusal(response, /^documents\[0\]\.metadata\.annotations/, new RegExp(`tag ${tag}\\b`));
  });

  it('refuses an alias to its own ancestor on create, PATCH and :plan', async () => {
    const cyclic = 'spec: &a {b: *a}\n';
    for (const [method, path] of [['POST', BASE], ['PATCH', `${BASE}/anything`], ['POST', '/apis/slipway.dev/v1alpha1/namespaces/default/machinedeployments/web:plan']] as const) {
      expectRefusal(await api.request(method, path, { raw: cyclic, contentType: 'application/yaml' }), /^documents\[0\]\.spec\.b$/, /alias \*a refers to a map or list that contains it/);
    }
  });

  it('refuses JSON and YAML nested deeper than the limit, naming the limit', async () => {
    const deepJson = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    expectRefusal(await api.request('POST', BASE, { raw: deepJson }), /^a(\.a)*$/, new RegExp(`more than ${BODY_LIMITS.maxDepth} levels`));
    expectRefusal(await api.request('PATCH', `${BASE}/x`, { raw: deepJson, contentType: 'application/merge-patch+json' }), /^a/, /levels/);
    expectRefusal(await api.request('POST', BASE, { raw: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, contentType: 'application/yaml' }), /^documents\[0\]/, /nested too deeply/);
    expectRefusal(await api.request('POST', BASE, { raw: `${'['.repeat(70)}${']'.repeat(70)}`, contentType: 'application/yaml' }), /^documents\[0\]/, new RegExp(`more than ${BODY_LIMITS.maxDepth} levels`));
  });

  it('refuses a duplicate key, naming it, and caps keys per map and values per body', async () => {
    const duplicate = `${manifestYaml('{a: "1"}')}\nspec:\n  clusterName: again\n`;
    expectRefusal(await api.request('POST', BASE, { raw: duplicate, contentType: 'application/yaml' }), /^documents\[0\]\.spec$/, /given twice/);
    const wide = `{${Array.from({ length: BODY_LIMITS.maxMapKeys + 1 }, (_, index) => `k${index}: v`).join(', ')}}`;
    expectRefusal(await api.request('POST', BASE, { raw: manifestYaml(wide), contentType: 'application/yaml' }), /annotations/, /keys, more than/);
    const many = JSON.stringify({ items: Array.from({ length: BODY_LIMITS.maxNodes }, () => [1]) });
    expectRefusal(await api.request('POST', BASE, { raw: many }), /./, new RegExp(`more than ${BODY_LIMITS.maxNodes} values`));
  });

  it('keeps answering /healthz while the largest allowed body is being parsed, never waiting as long as a parse on the event loop would', async () => {
    let body = 'metadata:\n  annotations:\n';
    for (let index = 0; body.length < BODY_LIMIT_BYTES - 64; index += 1) body += `    k${index}: v\n`;
    // Warm the parser thread so the measurement below sees parsing, not start-up.
    await api.request('POST', BASE, { raw: 'a: 1\n', contentType: 'application/yaml' });
    const started = performance.now();
    parseManifests(body);
    const parseMs = performance.now() - started;
    expect(parseMs, 'parsing this body on the event loop must take longer than the health check may, or this test shows nothing').toBeGreaterThan(250);

    let settled = false;
    const posted = api.request('POST', BASE, { raw: body, contentType: 'application/yaml' }).finally(() => {
      settled = true;
    });
    const latencies: number[] = [];
    while (!settled) {
      const asked = performance.now();
      expect((await api.request('GET', '/healthz', { token: null })).status).toBe(200);
      latencies.push(performance.now() - asked);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await posted).status).toBe(400);
    expect(latencies.length).toBeGreaterThan(3);
    // Measured against the same parse on this process's event loop, in the same run: a blocked
    // loop would hold a health check about that long, however busy the machine is.
    expect(Math.max(...latencies)).toBeLessThan(parseMs / 2);
  });
});
