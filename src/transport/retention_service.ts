import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import {
  RetentionServiceService,
  type PurgeOptions,
  type PurgeResult as PurgeResultMessage,
  type RetentionServiceServer,
} from '../generated/mlmd_ts/retention/v1/retention_service';
import type { Logger } from '../observability/logger';
import type { PurgeCounts, PurgeKind } from '../store/retention/purge_plan';
import { DEFAULT_BATCH_SIZE, type PurgeHooks, type PurgeRequest, type PurgeResult } from '../store/retention/purge';
import { requireUnfilteredScope, type CallScoping } from './call_scoping';
import { toServiceError } from './error_status';

/** The purge as the transport sees it (the store's Purger, or a fake). */
export interface PurgeDispatcher {
  purge(request: PurgeRequest, hooks?: PurgeHooks): Promise<PurgeResult>;
}

/** Told about every committed batch of a real purge (metrics). */
export type PurgeBatchListener = NonNullable<PurgeHooks['onBatch']>;

const KIND_OF_METHOD = { purgeContexts: 'context', purgeArtifacts: 'artifact', purgeExecutions: 'execution' } as const satisfies Record<
  keyof typeof RetentionServiceService,
  PurgeKind
>;

/** PurgeOptions off the wire, with the documented defaults (a dry run unless dry_run is false). */
export function purgeRequestOf(kind: PurgeKind, options: PurgeOptions | undefined): PurgeRequest {
  return {
    kind,
    filterQuery: options?.filterQuery ?? '',
    keepFilterQuery: options?.keepFilterQuery || undefined,
    dryRun: options?.dryRun ?? true,
    allowMatchAll: options?.allowMatchAll ?? false,
    batchSize: options?.batchSize || DEFAULT_BATCH_SIZE,
    maxBatches: options?.maxBatches ?? 0,
  };
}

export function countsMessage(counts: PurgeCounts) {
  const message: Record<string, bigint> = {};
  for (const [key, value] of Object.entries(counts)) message[key] = BigInt(value);
  return message;
}

export function purgeResultMessage(result: PurgeResult): PurgeResultMessage {
  return {
    dryRun: result.dryRun,
    counts: countsMessage(result.counts),
    sampleContextIds: result.samples.contexts.map(BigInt),
    sampleExecutionIds: result.samples.executions.map(BigInt),
    sampleArtifactIds: result.samples.artifacts.map(BigInt),
    batches: result.batches,
    complete: result.complete,
  };
}

/**
 * mlmd_ts.retention.v1.RetentionService: each handler maps the request, runs the purge, and
 * maps failures through the same toServiceError as MetadataStoreService. A real purge logs
 * one line per committed batch. With tenancy on, only callers whose scope filters nothing may purge.
 */
export function retentionService(
  purger: PurgeDispatcher,
  logger?: Logger,
  onBatch?: PurgeBatchListener,
  tenancy?: CallScoping,
): RetentionServiceServer {
  const service: Record<string, handleUnaryCall<unknown, unknown>> = {};
  for (const [method, kind] of Object.entries(KIND_OF_METHOD)) {
    const definition = (RetentionServiceService as Record<string, { path: string }>)[method];
    const rpc = definition.path.slice(definition.path.lastIndexOf('/') + 1);
    service[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const request = purgeRequestOf(kind, (call.request as { options?: PurgeOptions }).options);
      const hooks: PurgeHooks = {
        onBatch: (report) => {
          logger?.info({ rpc, kind, batch: report.batch, seconds: report.seconds, deleted: report.counts, total: report.totals }, 'purge batch committed');
          onBatch?.(report);
        },
      };
      let pending: Promise<PurgeResult>;
      try {
        pending = tenancy
          ? tenancy.scopeFor(rpc, true, call).then((scope) => {
              requireUnfilteredScope(scope, rpc);
              return purger.purge(request, hooks);
            })
          : purger.purge(request, hooks);
      } catch (e) {
        pending = Promise.reject(e);
      }
      pending.then(
        (result) => callback(null, { result: purgeResultMessage(result) }),
        (error: unknown) => callback(toServiceError(error, rpc, logger)),
      );
    };
  }
  return service as RetentionServiceServer;
}
