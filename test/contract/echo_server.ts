// A grpc-js server speaking the generated MetadataStoreService that echoes what it receives:
// it is not a store, just the shortest path through real serialisation, HTTP/2 framing and
// deserialisation in both directions, so wire tests can watch presence and int64 survive.
import {
  Server,
  ServerCredentials,
  ServerUnaryCall,
  UntypedServiceImplementation,
  credentials,
  sendUnaryData,
} from '@grpc/grpc-js';
import {
  GetArtifactsByIDRequest,
  GetArtifactsByIDResponse,
  GetArtifactsRequest,
  GetArtifactsResponse,
  GetEventsByExecutionIDsRequest,
  GetEventsByExecutionIDsResponse,
  GetLineageGraphRequest,
  GetLineageGraphResponse,
  GetLineageSubgraphRequest,
  GetLineageSubgraphResponse,
  MetadataStoreServiceClient,
  MetadataStoreServiceServer,
  MetadataStoreServiceService,
  PutArtifactsRequest,
  PutArtifactsResponse,
  PutEventsRequest,
  PutEventsResponse,
  PutTypesRequest,
  PutTypesResponse,
} from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { Artifact, Event, ListOperationNextPageToken } from '../../src/generated/ml_metadata/proto/metadata_store';
import { populateArtifactTypes } from '../../src/proto/defaults';

export interface EchoServer {
  client: MetadataStoreServiceClient;
  address: string;
  /** Requests as the server decoded them, most recent last, by ts-proto method name. */
  received: Map<string, unknown[]>;
  close(): Promise<void>;
}

/** Decodes the page token in which the echo server returns the ListOperationOptions it got. */
export function decodeEchoedOptions(nextPageToken: string | undefined): ListOperationNextPageToken {
  return ListOperationNextPageToken.decode(Buffer.from(nextPageToken ?? '', 'base64url'));
}

export async function startEchoServer(): Promise<EchoServer> {
  const received = new Map<string, unknown[]>();
  let artifacts: Artifact[] = [];
  let events: Event[] = [];

  function handler<Req, Res>(name: string, respond: (req: Req) => Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      received.set(name, [...(received.get(name) ?? []), call.request]);
      callback(null, respond(call.request));
    };
  }

  const implementation: Partial<MetadataStoreServiceServer> = {
    // Remembers the artifacts as received; answers their ids (-1 for "no id sent").
    putArtifacts: handler<PutArtifactsRequest, PutArtifactsResponse>('putArtifacts', (req) => {
      artifacts = req.artifacts ?? [];
      return { artifactIds: artifacts.map((a) => a.id ?? -1n) };
    }),
    // Sends back the remembered artifacts, and the options inside a page token.
    getArtifacts: handler<GetArtifactsRequest, GetArtifactsResponse>('getArtifacts', (req) => ({
      artifacts,
      nextPageToken: Buffer.from(ListOperationNextPageToken.encode({ setOptions: req.options }).finish()).toString('base64url'),
    })),
    // Each requested id comes back as an artifact's id, type_id and int property.
    getArtifactsById: handler<GetArtifactsByIDRequest, GetArtifactsByIDResponse>('getArtifactsById', (req) => ({
      artifacts: (req.artifactIds ?? []).map((id) => ({ id, typeId: id, properties: { echoed: { intValue: id } } })),
      artifactTypes: populateArtifactTypes(req) ? [{ id: 1n, name: 'echoed' }] : [],
    })),
    putEvents: handler<PutEventsRequest, PutEventsResponse>('putEvents', (req) => {
      events = req.events ?? [];
      return {};
    }),
    getEventsByExecutionIDs: handler<GetEventsByExecutionIDsRequest, GetEventsByExecutionIDsResponse>(
      'getEventsByExecutionIDs',
      () => ({ events }),
    ),
    putTypes: handler<PutTypesRequest, PutTypesResponse>('putTypes', () => ({})),
    getLineageGraph: handler<GetLineageGraphRequest, GetLineageGraphResponse>('getLineageGraph', () => ({})),
    getLineageSubgraph: handler<GetLineageSubgraphRequest, GetLineageSubgraphResponse>('getLineageSubgraph', () => ({})),
  };

  const server = new Server();
  server.addService(MetadataStoreServiceService, implementation as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;
  const client = new MetadataStoreServiceClient(address, credentials.createInsecure());
  return {
    client,
    address,
    received,
    close: async () => {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

type Service = typeof MetadataStoreServiceService;
type RequestOf<K extends keyof Service> = Parameters<Service[K]['requestSerialize']>[0];
type ResponseOf<K extends keyof Service> = ReturnType<Service[K]['responseDeserialize']>;

/** Promise form of a generated client method: `await call(client, 'getArtifacts', request)`. */
export function call<K extends keyof Service>(
  client: MetadataStoreServiceClient,
  method: K,
  request: RequestOf<K>,
): Promise<ResponseOf<K>> {
  const unary = (client as unknown as Record<K, (req: RequestOf<K>, cb: (err: Error | null, res: ResponseOf<K>) => void) => unknown>)[method];
  return new Promise((resolve, reject) => unary.call(client, request, (err, res) => (err ? reject(err) : resolve(res))));
}

/** Sends already-encoded request bytes and returns the raw response bytes (no TS codec involved). */
export function callRaw(client: MetadataStoreServiceClient, rpc: string, body: Buffer): Promise<Buffer> {
  const identity = (b: Buffer) => b;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(`/ml_metadata.MetadataStoreService/${rpc}`, identity, identity, body, (err, res) =>
      err ? reject(err) : resolve(res as Buffer),
    ),
  );
}
