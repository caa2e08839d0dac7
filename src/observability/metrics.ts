import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { WRITTEN_ENTITY_KINDS, type WrittenEntityKind } from '../database/observer';
import { DatabaseMetrics, type RowsWrittenSink } from './database_metrics';
import { GrpcServerMetrics } from './grpc_metrics';

/** Prefix of our own (non-gRPC, non-process) metric names. */
export const METRIC_PREFIX = 'mlmd_';

export interface MetricsOptions {
  /** Node.js process metrics (event-loop lag, heap, GC, CPU); on unless false. */
  processMetrics?: boolean;
}

/**
 * Every metric the server exports, in a registry of its own rather than prom-client's global
 * one, so tests (and several servers in one process) never share counters.
 *
 *  - grpc_server_*: go-grpc-prometheus names and labels (see grpc_metrics.ts, grpc_code_names.ts);
 *  - mlmd_db_*: statement and transaction timings, retries by reason, pool gauges;
 *  - mlmd_rows_written_total{kind}: rows the store wrote, per entity kind (committed work only);
 *  - process_* / nodejs_*: prom-client's defaults.
 */
export class MlmdMetrics {
  readonly registry = new Registry();
  readonly grpc: GrpcServerMetrics;
  /** Hand this to openDatabase() as its DatabaseObserver (it also feeds rowsWritten). */
  readonly database: DatabaseMetrics;
  /** The rows-written counter; the database observer reports committed transactions' tallies here. */
  readonly rowsWritten: RowsWrittenSink;

  constructor(options: MetricsOptions = {}) {
    this.grpc = new GrpcServerMetrics(this.registry);
    const rows = new Counter<'kind'>({
      name: `${METRIC_PREFIX}rows_written_total`,
      help: 'Rows written by committed RPCs, per entity kind.',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    for (const kind of WRITTEN_ENTITY_KINDS) rows.inc({ kind }, 0);
    this.rowsWritten = {
      rowsWritten: (kind: WrittenEntityKind, n: number) => {
        if ((WRITTEN_ENTITY_KINDS as readonly string[]).includes(kind)) rows.inc({ kind }, n);
      },
    };
    this.database = new DatabaseMetrics(this.registry, METRIC_PREFIX, this.rowsWritten);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}

export function createMetrics(options?: MetricsOptions): MlmdMetrics {
  return new MlmdMetrics(options);
}
