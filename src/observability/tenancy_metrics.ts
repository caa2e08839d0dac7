import { Counter, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './metrics';

/**
 * Tenancy's decisions (issue 15), in the server's registry so that --workers aggregate them:
 *  - mlmd_tenancy_denied_total{rpc,reason,mode}: nodes hidden, writes refused and callers
 *    refused (mode="audit": would have been), fed by TenancyScope.onDenial and the gate;
 *  - mlmd_tenancy_principal_resolutions_total{source,outcome}: how callers were identified.
 * Shaped to fit src/tenancy's TenancyObserver without importing it (observability stays beside the layers).
 */
export class TenancyMetrics {
  private readonly deniedTotal: Counter<'rpc' | 'reason' | 'mode'>;
  private readonly resolutions: Counter<'source' | 'outcome'>;

  constructor(registry: Registry) {
    this.deniedTotal = new Counter({
      name: `${METRIC_PREFIX}tenancy_denied_total`,
      help: 'Nodes hidden, writes refused and callers refused by tenancy, per RPC and reason (mode="audit": would have been).',
      labelNames: ['rpc', 'reason', 'mode'],
      registers: [registry],
    });
    this.resolutions = new Counter({
      name: `${METRIC_PREFIX}tenancy_principal_resolutions_total`,
      help: "How calls' principals were resolved, per identity source and outcome (resolved, rejected, error, anonymous).",
      labelNames: ['source', 'outcome'],
      registers: [registry],
    });
  }

  denied(rpc: string, reason: string, mode: string, count: number): void {
    if (count > 0) this.deniedTotal.inc({ rpc, reason, mode }, count);
  }

  resolved(source: string, outcome: string): void {
    this.resolutions.inc({ source, outcome });
  }
}
