import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values must never reach a log line. The first rule is to log chosen fields,
 * never raw config objects; this is the safety net. pino's redaction censors them at the top
 * level of a logged object; deeper ones (`{config: {mysql: {password}}}`) are censored by
 * `scrubSecrets`, because pino's wildcard paths (`*.password`, `*.*.password`) cost 25-125 us
 * per line with this many keys (measured), which would triple the per-RPC logging cost.
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
const SECRET_KEY_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));
export const CENSORED = '[REDACTED]';
/** Objects nested deeper than this are not walked; nothing we log is that deep. */
const MAX_SCRUB_DEPTH = 6;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` with every secret-named key censored, at any depth; `value` itself when
 * there is nothing to censor (the common case costs one pass over the keys, no allocation).
 */
export function scrubSecrets<T>(value: T, depth = 0): T {
  if (depth > MAX_SCRUB_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const scrubbed = scrubSecrets(item, depth + 1);
      if (scrubbed !== item) (copy ??= [...value])[i] = scrubbed;
    });
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const scrubbed = SECRET_KEY_SET.has(key.toLowerCase())
      ? item === undefined || item === null || item === ''
        ? item
        : CENSORED
      : scrubSecrets(item, depth + 1);
    if (scrubbed !== item) (copy ??= { ...value })[key] = scrubbed;
  }
  return (copy ?? value) as T;
}

export interface LoggerOptions {
  /** pino level; 'info' unless given. */
  level?: LevelWithSilent;
  /**
   * Where JSON lines go (tests pass a capturing stream). Default: stdout, written
   * asynchronously in batches (BATCH_BYTES, FLUSH_EVERY_MS); pino flushes what is pending
   * when the process exits.
   */
  destination?: DestinationStream;
}

/**
 * Driver errors may carry their connection settings as properties. pino's serialised error
 * is a fresh object (not a plain one, so scrubSecrets would pass it by): censor its fields.
 */
function serializeError(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of Object.keys(serialized)) {
    serialized[key] = SECRET_KEY_SET.has(key.toLowerCase()) ? CENSORED : scrubSecrets(serialized[key]);
  }
  return serialized;
}

/**
 * stdout is written in batches of this many bytes (one write for a dozen RPC lines instead of
 * one each: the write was the largest cost of the per-call log line) and at least this often,
 * so a quiet server's lines still appear promptly. A process killed with SIGKILL loses at most
 * this last fraction of a second; exits and signals flush everything.
 */
const BATCH_BYTES = 4096;
const FLUSH_EVERY_MS = 200;

/**
 * The process logger. Child-logger bindings get pino's top-level redaction only (pino does
 * not run the log formatter on them): bind request ids and names, never objects.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'mlmd' },
      redact: { paths: SECRET_KEYS, censor: CENSORED },
      serializers: { err: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubSecrets(object),
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, periodicFlush: FLUSH_EVERY_MS }),
  );
}
