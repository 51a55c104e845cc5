/**
 * How Compute Engine says "slow down" and "something broke on our side", for the fault proxy.
 * GCE throttles with 403 and reason rateLimitExceeded (its classic form) or with 429
 * RESOURCE_EXHAUSTED (the newer front end); the default alternates so a run meets both.
 * Server trouble is 503 with reason backendError.
 */
import type { CannedResponse, FaultDialect } from '../../support/fault-proxy';
import { gceErrorBody } from './http';

export type ThrottleForm = 'forbidden' | 'tooManyRequests' | 'alternate';

export function gceFaultDialect(throttleAs: ThrottleForm = 'alternate'): FaultDialect {
  let throttles = 0;
  const headers = (retryAfterSeconds: number | undefined): Record<string, string> => ({
    'content-type': 'application/json; charset=UTF-8',
    ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
  });
  return {
    throttle(retryAfterSeconds): CannedResponse {
      throttles += 1;
      const forbidden = throttleAs === 'forbidden' || (throttleAs === 'alternate' && throttles % 2 === 1);
      const body = forbidden
        ? gceErrorBody(403, 'rateLimitExceeded', 'Rate Limit Exceeded (injected by the fault proxy).', 'usageLimits')
        : gceErrorBody(429, 'userRateLimitExceeded', "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' (injected by the fault proxy).", 'usageLimits');
      return { status: forbidden ? 403 : 429, headers: headers(retryAfterSeconds), body: JSON.stringify(body) };
    },
    serverError(): CannedResponse {
      return { status: 503, headers: headers(undefined), body: JSON.stringify(gceErrorBody(503, 'backendError', 'The service is currently unavailable (injected by the fault proxy).')) };
    },
  };
}
