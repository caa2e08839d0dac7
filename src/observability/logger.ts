import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values must never reach a log line, wherever they appear in a logged object
 * (two levels deep covers `{config: {password}}` and `{config: {mysql: {password}}}`).
 * This is the safety net; the first rule is to log chosen fields, never raw config objects.
 */
const SECRET_KEYS = [
  'password',
  'passwd',
  'sslpassword',
  'ssl_password',
  'token',
  'access_token',
  'refresh_token',
  'secret',
  'authorization',
  'cookie',
  'apiKey',
  'api_key',
  'connectionString',
  'connection_string',
];
export const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export interface LoggerOptions {
  /** pino level; 'info' unless given. */
  level?: LevelWithSilent;
  /** Where JSON lines go; stdout unless given (tests pass a capturing stream). */
  destination?: DestinationStream;
}

/** The process logger: one JSON object per line, secrets censored by key. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'mlmd' },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: { err: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
