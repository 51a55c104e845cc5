/**
 * A watcher that stops reading: the server waits for its socket to drain instead of
 * buffering, and drops it once it falls further behind than its queue allows.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjection } from '../../services/common/projection';
import { startBareApi } from '../support/api';

const kind = 'ClusterDeployment';
let api: Awaited<ReturnType<typeof startBareApi>>;
beforeAll(async () => {
  api = await startBareApi({ watchQueueLimit: 20 });
});
afterAll(async () => api?.close());

const openConnections = () => new Promise<number>((resolve, reject) => api.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

describe('a watcher that stops reading', () => {
  it('is dropped once it falls behind its bound, instead of the server buffering for it', async () => {
    const projection = createProjection(api.peers.redis, { prefix: api.peers.redisPrefix });
    const { port } = new URL(api.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments?watch=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.token}\r\n\r\n`);
    // Read the response head, then stop reading for good.
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause();
    expect(await openConnections()).toBe(1);

    const padding = 'x'.repeat(64 * 1024);
    const deadline = Date.now() + 30_000;
    let written = 0;
    // Far more than socket buffers hold: without backpressure the server would keep writing into memory.
    while ((await openConnections()) > 0 && Date.now() < deadline) {
      for (let index = 0; index < 20; index += 1) {
        await projection.put(kind, { apiVersion: 'slipway.dev/v1alpha1', kind, metadata: { name: `slow-${written}`, namespace: 'default' }, spec: { padding } });
        written += 1;
      }
    }
    const remaining = await openConnections();
    socket.destroy();
    expect(remaining).toBe(0);
    expect(written).toBeLessThan(2_000);
  });
});
