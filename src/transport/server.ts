import { Server, ServerCredentials, type ChannelOptions, type ServerInterceptor } from '@grpc/grpc-js';
import type { ChannelArguments } from '../config/channel_arguments';
import type { TlsSettings } from '../config/server_settings';
import type { Logger } from '../observability/logger';
import { DatabaseHealth } from './health';
import { metadataSizeLimit } from './metadata_size_limit';
import { addReflection } from './reflection';
import type { PurgeBatchListener, PurgeDispatcher } from './retention_service';
import type { RpcDispatcher } from './service';
import { CallScoping } from './call_scoping';
import type { TenancyGate } from '../tenancy';
import { applicationServices } from './services';
import { WebCallRegistry } from './web/web_call_registry';
import { serverCredentials } from './tls';
import { startWebServer, type RunningWebServer } from './web/web_server';

const MiB = 1024 * 1024;
/** After the gRPC calls of a graceful shutdown end, how long their web answers may take to be written. */
const WEB_ANSWER_GRACE_MS = 2000;

/**
 * Our defaults, which --grpc_channel_arguments override key by key. Upstream leaves gRPC
 * C++'s 4 MiB receive limit; lineage and bulk Put/Get requests of real pipelines exceed it,
 * so we accept and send up to 100 MiB.
 */
export const DEFAULT_CHANNEL_ARGUMENTS: Readonly<ChannelArguments> = {
  'grpc.max_receive_message_length': 100 * MiB,
  'grpc.max_send_message_length': 100 * MiB,
  'grpc.max_metadata_size': 16 * 1024,
};

export interface ServerOptions {
  /** The MetadataStore (or anything with its `call`). */
  store: RpcDispatcher;
  /** Serves mlmd_ts.retention.v1.RetentionService when given. */
  purger?: PurgeDispatcher;
  /** Told about every committed batch of a purge requested over RetentionService. */
  onPurgeBatch?: PurgeBatchListener;
  /** 0 picks a free port (tests). */
  port: number;
  /** Upstream binds all IPv4 interfaces. */
  host?: string;
  tls?: TlsSettings;
  /** Merged over DEFAULT_CHANNEL_ARGUMENTS. */
  channelArguments?: ChannelArguments;
  /**
   * grpc-js server interceptors, e.g. `observabilityInterceptors(...)`. The first in the list
   * is nearest the network, the last nearest the handler.
   */
  interceptors?: ServerInterceptor[];
  /** Database liveness for grpc.health.v1; without it health reports SERVING always. */
  health?: { ping: () => Promise<void>; intervalMs?: number; timeoutMs?: number };
  /**
   * gRPC-web and JSON on a port of their own (see src/transport/web/): every service added
   * here, through the same interceptors and limits. Off when absent.
   */
  web?: { port: number; host?: string; corsAllowedOrigins: readonly string[] };
  /**
   * Namespace isolation (--tenancy audit|enforce): every MetadataStoreService call gets the
   * scope this gate decides, from native gRPC credentials or the gRPC-web request's. Off when absent.
   */
  tenancy?: TenancyGate;
  /** Server reflection; on unless false. */
  reflection?: boolean;
  logger?: Logger;
}

export interface RunningServer {
  readonly server: Server;
  /** The port actually bound. */
  readonly port: number;
  /** The gRPC-web/JSON port actually bound, when it is on. */
  readonly webPort?: number;
  readonly health: DatabaseHealth;
  /**
   * Stops accepting calls, lets in-flight ones finish for up to `graceMs`, then cancels the
   * rest. Resolves with whether cancelling was needed.
   */
  shutdown(graceMs: number): Promise<{ forced: boolean }>;
}

export function effectiveChannelArguments(overrides: ChannelArguments = {}): ChannelArguments {
  return { ...DEFAULT_CHANNEL_ARGUMENTS, ...overrides };
}

/** Builds, binds and starts the gRPC server with the MLMD service, health and reflection. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const args = effectiveChannelArguments(options.channelArguments);
  const maxMetadata = Number(args['grpc.max_metadata_size']);
  const interceptors = [...(options.interceptors ?? [])];
  // Last, so it sits nearest the handler and every other interceptor sees its rejections.
  if (Number.isFinite(maxMetadata) && maxMetadata > 0) interceptors.push(metadataSizeLimit(maxMetadata));
  const server = new Server({ ...(args as ChannelOptions), interceptors });

  // Only a bridge with tenancy needs to hand its HTTP credentials on.
  const webCalls = options.web && options.tenancy ? new WebCallRegistry() : undefined;
  const tenancy = options.tenancy ? new CallScoping(options.tenancy, webCalls) : undefined;
  for (const service of applicationServices({ ...options, tenancy, webCalls })) server.addService(service.definition, service.implementation);
  const health = new DatabaseHealth({
    ping: options.health?.ping ?? (() => Promise.resolve()),
    intervalMs: options.health?.intervalMs,
    timeoutMs: options.health?.timeoutMs,
    logger: options.logger,
  });
  health.implementation.addToServer(server);
  if (options.reflection !== false && !addReflection(server)) {
    options.logger?.warn('server reflection is off: src/generated/*.binpb are missing (run npm run generate)');
  }

  const credentials: ServerCredentials = serverCredentials(options.tls);
  const address = `${options.host ?? '0.0.0.0'}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (error, bound) => (error ? reject(describeBindError(error, address)) : resolve(bound))),
  );
  let web: RunningWebServer | undefined;
  if (options.web) {
    try {
      web = await startWebServer({
        grpcServer: server,
        port: options.web.port,
        host: options.web.host ?? options.host,
        cors: { allowedOrigins: options.web.corsAllowedOrigins },
        maxRequestMessageBytes: receiveLimit(args),
        webCalls,
        logger: options.logger,
      });
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
  }
  await health.start();

  let shuttingDown: Promise<{ forced: boolean }> | undefined;
  const shutdown = (graceMs: number) =>
    (shuttingDown ??= new Promise<{ forced: boolean }>((resolve) => {
      health.stop();
      // New web calls stop here; those in flight are gRPC calls the shutdown below waits for.
      web?.stopAccepting();
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        options.logger?.warn({ grace_ms: graceMs }, 'in-flight calls did not finish within the grace period; cancelling them');
        server.forceShutdown();
        resolve({ forced: true });
      }, graceMs);
      server.tryShutdown(() => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ forced: false });
      });
    }).then(async (result) => {
      // The gRPC calls are over; their answers may still be on their way to HTTP clients.
      await web?.close(result.forced ? 0 : WEB_ANSWER_GRACE_MS);
      return result;
    }));

  return { server, port, webPort: web?.port, health, shutdown };
}

/** grpc.max_receive_message_length in bytes; -1 is gRPC's "unlimited". */
function receiveLimit(args: ChannelArguments): number {
  const limit = Number(args['grpc.max_receive_message_length']);
  return Number.isFinite(limit) && limit >= 0 ? limit : Number.POSITIVE_INFINITY;
}

function describeBindError(error: Error, address: string): Error {
  const message = /EADDRINUSE|address already in use/i.test(error.message)
    ? `cannot listen on ${address}: the port is already in use (choose another with --grpc_port)`
    : `cannot listen on ${address}: ${error.message}`;
  return Object.assign(new Error(message), { cause: error });
}
