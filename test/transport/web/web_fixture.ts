import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { MLMD_MIGRATIONS } from '../../../migrations';
import { openDatabase, type Database } from '../../../src/database';
import type { DatabaseConfig } from '../../../src/database/config';
import { MetadataStoreServiceService, type MetadataStoreServiceClient } from '../../../src/generated/ml_metadata/proto/metadata_store_service';
import { createLogger, type Logger } from '../../../src/observability/logger';
import { createMetrics, type MlmdMetrics } from '../../../src/observability/metrics';
import { MetadataStore } from '../../../src/store/metadata_store';
import type { RpcMethod } from '../../../src/store/rpc';
import { observabilityInterceptors } from '../../../src/transport/interceptors';
import { startServer, type RunningServer, type ServerOptions } from '../../../src/transport/server';
import type { RpcDispatcher } from '../../../src/transport/service';
import type { TestBackend } from '../../support/backends';
import { callRpc, mlmdClient, type Outcome } from '../grpc_test_client';

export interface WebServerUnderTest {
  server: RunningServer;
  grpcPort: number;
  webPort: number;
  grpc: MetadataStoreServiceClient;
  metrics: MlmdMetrics;
  /** Calls of these RPCs wait this long before reaching the store (deadline tests). */
  slow: Map<RpcMethod, number>;
  /** Every RPC that reached the store, in order. */
  storeCalls: RpcMethod[];
  callGrpc(method: RpcMethod, request: unknown, deadlineMs?: number): Promise<Outcome>;
}

const SCRATCH_PREFIX = 'mlmd-web-';

/** A throw-away SQLite database, for bridge tests that never reach SQL in a backend-specific way. */
export function sqliteOnly(): Pick<TestBackend, 'freshDatabaseConfig'> {
  return {
    freshDatabaseConfig: async () => ({
      kind: 'sqlite',
      filename: path.join(fs.mkdtempSync(path.join(os.tmpdir(), SCRATCH_PREFIX)), 'metadata.sqlite'),
    }),
  };
}

/**
 * Our server as main.ts starts it (store over a fresh database, logging and metrics
 * interceptors, health) with the gRPC-web/JSON port on, for a suite's lifetime.
 */
export function serveWithWebPort(
  backend: () => Pick<TestBackend, 'freshDatabaseConfig'>,
  options: Partial<Pick<ServerOptions, 'channelArguments'>> & { corsAllowedOrigins?: string[]; logger?: Logger } = {},
): () => WebServerUnderTest {
  let ctx: WebServerUnderTest | undefined;
  let db: Database | undefined;
  let config: DatabaseConfig | undefined;
  beforeAll(async () => {
    config = await backend().freshDatabaseConfig();
    db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 4 });
    const store = new MetadataStore(db);
    const slow = new Map<RpcMethod, number>();
    const storeCalls: RpcMethod[] = [];
    const dispatcher: RpcDispatcher = {
      call: (async (method: RpcMethod, request: never) => {
        storeCalls.push(method);
        const delay = slow.get(method);
        if (delay) await new Promise((r) => setTimeout(r, delay));
        return store.call(method, request);
      }) as RpcDispatcher['call'],
    };
    const metrics = createMetrics({ processMetrics: false });
    const logger = options.logger ?? createLogger({ level: 'silent' });
    const server = await startServer({
      store: dispatcher,
      port: 0,
      host: '127.0.0.1',
      channelArguments: options.channelArguments,
      interceptors: observabilityInterceptors({ logger, metrics: metrics.grpc, services: [MetadataStoreServiceService] }),
      web: { port: 0, corsAllowedOrigins: options.corsAllowedOrigins ?? [] },
      logger,
    });
    const grpc = mlmdClient(server.port);
    ctx = {
      server,
      grpcPort: server.port,
      webPort: server.webPort!,
      grpc,
      metrics,
      slow,
      storeCalls,
      callGrpc: (method, request, deadlineMs) => callRpc(grpc, method, request, undefined, deadlineMs),
    };
  });
  afterAll(async () => {
    ctx?.grpc.close();
    await ctx?.server.shutdown(0);
    await db?.close();
    // sqliteOnly's directory (the backends' own databases are the harness's to remove).
    if (config?.kind === 'sqlite' && path.basename(path.dirname(config.filename)).startsWith(SCRATCH_PREFIX)) {
      fs.rmSync(path.dirname(config.filename), { recursive: true, force: true });
    }
  });
  return () => ctx!;
}
