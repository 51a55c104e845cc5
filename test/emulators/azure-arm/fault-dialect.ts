/**
 * How Azure Resource Manager says "slow down" and "something broke on our side", for the fault
 * proxy: 429 with ARM's error body, Retry-After when the test asks for one, and the remaining-
 * requests headers at zero (ARM throttling reference); 500 with ARM's InternalServerError body.
 */
import type { FaultDialect } from '../../support/fault-proxy';

export const ARM_FAULT_DIALECT: FaultDialect = {
  throttle: (retryAfterSeconds) => ({
    status: 429,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-ms-ratelimit-remaining-subscription-reads': '0',
      'x-ms-ratelimit-remaining-subscription-writes': '0',
      ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
    },
    body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'The request is being throttled because the limit for this operation has been reached (injected by the fault proxy).' } }),
  }),
  serverError: () => ({
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-ms-failure-cause': 'service' },
    body: JSON.stringify({ error: { code: 'InternalServerError', message: 'Encountered an internal server error (injected by the fault proxy).' } }),
  }),
};
