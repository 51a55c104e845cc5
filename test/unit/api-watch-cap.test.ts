/**
 * The server's cap on a watch's length (watch timings' maxSeconds) ends every watch, whatever
 * the client asked: an entity kind's and the sweeps', with timeoutSeconds or without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WATCH_TIMINGS } from '../../services/api/watch';
import { startBareApi } from '../support/api';

const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';
let api: Awaited<ReturnType<typeof startBareApi>>;
beforeAll(async () => {
  api = await startBareApi({ watchTimings: { ...DEFAULT_WATCH_TIMINGS, maxSeconds: 1 } });
});
afterAll(async () => api?.close());

describe('the server cap on a watch', () => {
  it.each([
    ['ClusterDeployments', `${NS}/clusterdeployments?watch=true`],
    ['ClusterDeployments, asking for longer', `${NS}/clusterdeployments?watch=true&timeoutSeconds=3600`],
    ['sweeps', `${NS}/sweeps?watch=true`],
    ['sweeps, asking for longer', `${NS}/sweeps?watch=true&timeoutSeconds=3600`],
  ])('ends a watch of %s', async (_what, path) => {
    // Far beyond the cap: only a watch the server never ends is aborted here.
    const response = await fetch(new URL(path, api.url), { headers: { authorization: `Bearer ${api.token}` }, signal: AbortSignal.timeout(30_000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(': watching');
  });
});
