/** Prometheus metrics shared by the API and the worker; each process serves its own registry. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'slipway_' });

export const httpRequests = new Counter({
  name: 'slipway_http_requests_total',
  help: 'REST API requests by method, route and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const httpRequestSeconds = new Histogram({
  name: 'slipway_http_request_duration_seconds',
  help: 'REST API request latency by method and route.',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

export const workflowsStarted = new Counter({
  name: 'slipway_workflows_started_total',
  help: 'Entity workflows started, by kind.',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

export const workflowsFinished = new Counter({
  name: 'slipway_workflows_finished_total',
  help: 'Entity workflows finished, by kind and outcome (deleted, provision_failed, ...).',
  labelNames: ['kind', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const objectReads = new Counter({
  name: 'slipway_object_reads_total',
  help: 'GETs of one object, by kind and source: projection (its Redis copy held every acknowledged write) or workflow (a Query: no copy yet, or a write not yet projected).',
  labelNames: ['kind', 'source'] as const,
  registers: [metricsRegistry],
});

export const projectionRepairs = new Counter({
  name: 'slipway_projection_repairs_total',
  help: 'Objects the projection reconciler repaired, by kind and repair: ghost (listed, but its workflow is gone) or gap (its workflow runs, but it was not listed).',
  labelNames: ['kind', 'repair'] as const,
  registers: [metricsRegistry],
});

export const sweepDecisions = new Counter({
  name: 'slipway_sweep_decisions_total',
  help: 'Orphan sweep decisions, by provider, decision (deleted, marked, kept-*, error) and reason code.',
  labelNames: ['provider', 'decision', 'reason'] as const,
  registers: [metricsRegistry],
});

export const sweepAlerts = new Counter({
  name: 'slipway_sweep_alerts_total',
  help: 'Orphan sweeps that held (inventory-unreadable, inventory-empty, inventory-partial) or reached their deletion cap (deletion-cap), by provider.',
  labelNames: ['provider', 'alert'] as const,
  registers: [metricsRegistry],
});
