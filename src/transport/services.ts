import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { MetadataStoreServiceService } from '../generated/ml_metadata/proto/metadata_store_service';
import { RetentionServiceService } from '../generated/mlmd_ts/retention/v1/retention_service';
import type { Logger } from '../observability/logger';
import { retentionService, type PurgeBatchListener, type PurgeDispatcher } from './retention_service';
import type { CallScoping } from './call_scoping';
import { metadataStoreService, wireService, type RpcDispatcher } from './service';
import type { WebCallRegistry } from './web/web_call_registry';

/** One gRPC service the server serves: its generated definition and its handlers. */
export interface ServiceRegistration {
  /** Fully qualified service name, e.g. ml_metadata.MetadataStoreService. */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface ServicesDeps {
  store: RpcDispatcher;
  /** mlmd_ts.retention.v1.RetentionService is served when given. */
  purger?: PurgeDispatcher;
  onPurgeBatch?: PurgeBatchListener;
  logger?: Logger;
  /** Namespace isolation of MetadataStoreService calls; undefined = off. */
  tenancy?: CallScoping;
  /** Where the gRPC-web bridge leaves its calls' HTTP credentials. */
  webCalls?: WebCallRegistry;
}

function serviceNameOf(definition: ServiceDefinition): string {
  const path = Object.values(definition)[0].path;
  return path.slice(1, path.lastIndexOf('/'));
}

function registration(definition: ServiceDefinition, implementation: UntypedServiceImplementation): ServiceRegistration {
  return { name: serviceNameOf(definition), definition, implementation };
}

/**
 * Every application service the server registers, in one list: upstream's
 * MetadataStoreService, then our extensions. Server-wide concerns (the interceptors for
 * metrics, logs and the metadata limit; bridges to other protocols) apply to each entry alike.
 */
export function applicationServices(deps: ServicesDeps): ServiceRegistration[] {
  const services = [registration(wireService(MetadataStoreServiceService), metadataStoreService(deps.store, deps.logger, deps.tenancy, deps.webCalls))];
  if (deps.purger) services.push(registration(RetentionServiceService, retentionService(deps.purger, deps.logger, deps.onPurgeBatch, deps.tenancy)));
  return services;
}

/** The definitions of every service the server can register (metrics pre-registration). */
export const APPLICATION_SERVICE_DEFINITIONS: readonly ServiceDefinition[] = [MetadataStoreServiceService, RetentionServiceService];
