/** Settings read from the environment that NodePool workflows are started with. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/common/config';

describe("the NodePool autoscaler's thresholds", () => {
  it("are the rule's defaults when unset, and whole seconds when set", () => {
    expect(loadConfig({})).toMatchObject({ nodePoolScaleUpAfterSeconds: undefined, nodePoolScaleDownAfterSeconds: undefined });
    expect(loadConfig({ SLIPWAY_NODE_POOL_SCALE_UP_AFTER_SECONDS: '', SLIPWAY_NODE_POOL_SCALE_DOWN_AFTER_SECONDS: '' })).toMatchObject({ nodePoolScaleUpAfterSeconds: undefined, nodePoolScaleDownAfterSeconds: undefined });
    expect(loadConfig({ SLIPWAY_NODE_POOL_SCALE_UP_AFTER_SECONDS: '5', SLIPWAY_NODE_POOL_SCALE_DOWN_AFTER_SECONDS: '120' })).toMatchObject({ nodePoolScaleUpAfterSeconds: 5, nodePoolScaleDownAfterSeconds: 120 });
  });

  it.each(['0', '1.5', 'ten'])('refuses %s, naming the setting', (value) => {
    expect(() => loadConfig({ SLIPWAY_NODE_POOL_SCALE_DOWN_AFTER_SECONDS: value })).toThrow(`SLIPWAY_NODE_POOL_SCALE_DOWN_AFTER_SECONDS=${value} is not a number of seconds`);
  });
});
