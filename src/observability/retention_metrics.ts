import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './metrics';

export const PURGED_KINDS = ['context', 'execution', 'artifact'] as const;
/** How a policy pass ended: completed; another replica held the lock; an error. */
export const RETENTION_OUTCOMES = ['completed', 'skipped_locked', 'failed'] as const;
export type RetentionOutcome = (typeof RETENTION_OUTCOMES)[number];

/**
 * Prometheus series of the retention policy and of purges requested over RetentionService:
 *
 *  - mlmd_retention_nodes_purged_total{kind}: nodes deleted by committed purge batches;
 *  - mlmd_retention_runs_total{outcome}: policy passes by outcome;
 *  - mlmd_retention_failures_total: failed policy passes (also runs_total{outcome="failed"},
 *    kept apart so an alert needs no label matching);
 *  - mlmd_retention_last_success_timestamp_seconds: end of the last completed pass (0: none yet).
 */
export class RetentionMetrics {
  private readonly purged: Counter<'kind'>;
  private readonly runs: Counter<'outcome'>;
  private readonly failures: Counter;
  private readonly lastSuccess: Gauge;

  constructor(registry: Registry, private readonly clock: () => number = Date.now) {
    this.purged = new Counter({
      name: `${METRIC_PREFIX}retention_nodes_purged_total`,
      help: 'Nodes deleted by committed purge batches (retention policy and RetentionService), per kind.',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of PURGED_KINDS) this.purged.inc({ kind }, 0);
    this.runs = new Counter({
      name: `${METRIC_PREFIX}retention_runs_total`,
      help: 'Retention policy passes, by outcome (completed, skipped_locked: another replica was purging, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of RETENTION_OUTCOMES) this.runs.inc({ outcome }, 0);
    this.failures = new Counter({ name: `${METRIC_PREFIX}retention_failures_total`, help: 'Retention policy passes that failed.', registers: [registry] });
    this.lastSuccess = new Gauge({
      name: `${METRIC_PREFIX}retention_last_success_timestamp_seconds`,
      help: 'When the last retention policy pass completed, in seconds since the epoch (0: none yet).',
      registers: [registry],
    });
  }

  nodesPurged(counts: { contexts: number; executions: number; artifacts: number }): void {
    this.purged.inc({ kind: 'context' }, counts.contexts);
    this.purged.inc({ kind: 'execution' }, counts.executions);
    this.purged.inc({ kind: 'artifact' }, counts.artifacts);
  }

  runFinished(outcome: RetentionOutcome): void {
    this.runs.inc({ outcome });
    if (outcome === 'failed') this.failures.inc();
    if (outcome === 'completed') this.lastSuccess.set(this.clock() / 1000);
  }
}
