/** Settings read from the environment: the NodePool autoscaler's thresholds and the worker's threads. */
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

describe("the worker's workflow threads", () => {
  it('are two when unset, and the number given when set', () => {
    expect(loadConfig({}).workflowThreads).toBe(2);
    expect(loadConfig({ SLIPWAY_WORKFLOW_THREADS: '' }).workflowThreads).toBe(2);
    expect(loadConfig({ SLIPWAY_WORKFLOW_THREADS: '1' }).workflowThreads).toBe(1);
  });

  it.each(['0', '1.5', 'two', '65'])('refuse %s, naming the setting', (value) => {
    expect(() => loadConfig({ SLIPWAY_WORKFLOW_THREADS: value })).toThrow(`SLIPWAY_WORKFLOW_THREADS=${value} is not a number of threads`);
  });
});
