import type { Database } from '../../database/database';
import { Purger, validatePurgeRequest, type BatchReport, type PurgeRequest, type PurgeResult } from './purge';
import type { PurgeKind } from './purge_plan';

/** The lock every replica's policy pass takes (per database). */
export const RETENTION_LOCK_NAME = 'mlmd_ts.retention';

/** What a pass logs through (a pino logger in production). */
export interface RetentionLog {
  info(fields: object | string, message?: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The database-wide lock of one pass (the entry point passes database/session_lock.ts). */
export type TryRetentionLock = () => Promise<{ release(): Promise<void> } | undefined>;

/** One rule of the policy, as the config layer validated it. */
export interface RetentionRule {
  name: string;
  kind: PurgeKind;
  type?: string;
  olderThanMs?: number;
  filterQuery?: string;
  keepFilterQuery?: string;
  allowMatchAll: boolean;
}

export interface RetentionPolicySettings {
  rules: RetentionRule[];
  intervalMs: number;
  batchSize: number;
  dryRun: boolean;
  initialDelayMs: number;
}

export type PassOutcome = 'completed' | 'skipped_locked' | 'failed';

export interface RetentionObserver {
  batchCommitted(report: BatchReport): void;
  passFinished(outcome: PassOutcome): void;
}

export interface PassReport {
  outcome: PassOutcome;
  rules: { rule: string; result?: PurgeResult; error?: unknown }[];
}

/** A string literal of the filter language. */
function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The rule's filter_query for a pass at `nowMs` (the age is relative to the pass). */
export function ruleFilterQuery(rule: RetentionRule, nowMs: number): string {
  const parts: string[] = [];
  if (rule.type) parts.push(`type = ${quoted(rule.type)}`);
  if (rule.olderThanMs) parts.push(`create_time_since_epoch < ${Math.floor(nowMs - rule.olderThanMs)}`);
  if (rule.filterQuery) parts.push(`(${rule.filterQuery})`);
  return parts.join(' AND ');
}

/**
 * Applies the retention policy every interval. A pass takes the database-wide retention
 * lock without waiting; if another replica holds it the pass is skipped (one purges, the
 * others wait for their next interval). Rules run in order, each as a purge in batches; a
 * failing rule is logged and the next one still runs. In dry-run mode each rule is a dry
 * run whose counts and samples are logged. `stop` ends a running pass between batches.
 */
export class RetentionScheduler {
  private readonly purger: Purger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<PassReport>;
  private readonly abort = new AbortController();

  constructor(
    private readonly db: Database,
    private readonly policy: RetentionPolicySettings,
    private readonly deps: { logger: RetentionLog; tryLock: TryRetentionLock; observer?: RetentionObserver; clock?: () => number },
  ) {
    this.purger = new Purger(db);
  }

  /** Throws MlmdError(INVALID_ARGUMENT) naming the rule when a filter does not compile. */
  validate(): void {
    const now = this.now();
    for (const rule of this.policy.rules) {
      try {
        validatePurgeRequest(this.requestFor(rule, now));
      } catch (e) {
        throw Object.assign(e as Error, { message: `retention rule "${rule.name}": ${(e as Error).message}` });
      }
    }
  }

  start(): void {
    this.schedule(this.policy.initialDelayMs);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass now (tests and the timer). */
  runPass(): Promise<PassReport> {
    const pass = (this.running = this.pass());
    return pass;
  }

  private schedule(delayMs: number): void {
    if (this.abort.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.runPass().finally(() => this.schedule(this.policy.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  private requestFor(rule: RetentionRule, nowMs: number): PurgeRequest {
    return {
      kind: rule.kind,
      filterQuery: ruleFilterQuery(rule, nowMs),
      keepFilterQuery: rule.keepFilterQuery,
      dryRun: this.policy.dryRun,
      allowMatchAll: rule.allowMatchAll,
      batchSize: this.policy.batchSize,
      maxBatches: 0,
    };
  }

  private async pass(): Promise<PassReport> {
    const { logger, observer } = this.deps;
    let lock;
    try {
      lock = await this.deps.tryLock();
    } catch (error) {
      logger.error({ err: error }, 'retention: cannot take the retention lock; pass failed');
      observer?.passFinished('failed');
      return { outcome: 'failed', rules: [] };
    }
    if (!lock) {
      logger.info('retention: another server holds the retention lock; skipping this pass');
      observer?.passFinished('skipped_locked');
      return { outcome: 'skipped_locked', rules: [] };
    }
    const report: PassReport = { outcome: 'completed', rules: [] };
    try {
      const now = this.now();
      for (const rule of this.policy.rules) {
        if (this.abort.signal.aborted) break;
        const request = this.requestFor(rule, now);
        try {
          const result = await this.purger.purge(request, {
            signal: this.abort.signal,
            onBatch: (batch) => {
              logger.info({ rule: rule.name, kind: rule.kind, batch: batch.batch, seconds: batch.seconds, deleted: batch.counts }, 'retention: batch purged');
              observer?.batchCommitted(batch);
            },
          });
          report.rules.push({ rule: rule.name, result });
          logger.info(
            { rule: rule.name, kind: rule.kind, dry_run: result.dryRun, filter_query: request.filterQuery, counts: result.counts, samples: result.samples, batches: result.batches },
            result.dryRun ? 'retention (dry run): rule would delete' : 'retention: rule done',
          );
        } catch (error) {
          report.outcome = 'failed';
          report.rules.push({ rule: rule.name, error });
          logger.error({ rule: rule.name, kind: rule.kind, err: error }, 'retention: rule failed');
        }
      }
    } finally {
      await lock.release().catch((e: unknown) => logger.warn({ err: e }, 'retention: releasing the retention lock failed'));
    }
    observer?.passFinished(report.outcome);
    return report;
  }
}
