import pino, { type Logger } from 'pino';

/**
 * Structured logs. Anything that could carry a secret is redacted by path, so a token
 * or credential never reaches a log line even if a caller logs a whole object.
 */
export function createLogger(name: string, level = process.env.SLIPWAY_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['authorization', 'token', 'password', 'secret', 'credentials', '*.authorization', '*.token', '*.password', '*.secret', '*.credentials', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
