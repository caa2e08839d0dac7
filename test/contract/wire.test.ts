// Presence, int64 precision and declared defaults through a real gRPC round trip (grpc-js
// client -> HTTP/2 -> grpc-js server -> back), with the generated service definitions, and
// with request bytes produced by the official Python package's protobuf runtime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Artifact,
  Artifact_State,
  Event,
  Event_Type,
  ListOperationOptions_OrderByField_Field,
  Value,
} from '../../src/generated/ml_metadata/proto/metadata_store';
import {
  GetArtifactsByIDRequest,
  GetArtifactsRequest,
  GetLineageGraphRequest,
  GetLineageSubgraphRequest,
  PutArtifactsRequest,
  PutEventsRequest,
  PutTypesRequest,
} from '../../src/generated/ml_metadata/proto/metadata_store_service';
import {
  allFieldsMatch,
  includeEndingNodes,
  listOptionsWithDefaults,
  maxNodeSize,
} from '../../src/proto/defaults';
import { EchoServer, call, callRaw, decodeEchoedOptions, startEchoServer } from './echo_server';
import { describeWithReferencePython, runPythonJson } from './reference_python';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** Values a lossy int64 path (double, int32, unsigned) would get wrong. */
const EXTREME_INT64 = [INT64_MAX, -INT64_MAX, INT64_MIN, 0n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 32n];

let echo: EchoServer;

beforeAll(async () => {
  echo = await startEchoServer();
});

afterAll(async () => {
  await echo?.close();
});

function lastReceived<T>(method: string): T {
  const all = echo.received.get(method) ?? [];
  expect(all.length, `server saw no ${method} call`).toBeGreaterThan(0);
  return all[all.length - 1] as T;
}

/** An artifact carrying every kind of explicit zero the wire must keep. */
const ZEROED: Artifact = {
  id: 0n,
  typeId: 0n,
  name: '',
  uri: '',
  externalId: '',
  state: Artifact_State.UNKNOWN,
  createTimeSinceEpoch: 0n,
  lastUpdateTimeSinceEpoch: 0n,
  properties: {
    zeroInt: { intValue: 0n },
    zeroDouble: { doubleValue: 0 },
    emptyString: { stringValue: '' },
    falseBool: { boolValue: false },
    noCase: {},
  },
  customProperties: {},
};

function expectZeroedArtifact(a: Artifact | undefined): void {
  expect(a).toBeDefined();
  expect(a!.id).toBe(0n);
  expect(a!.typeId).toBe(0n);
  expect(a!.name).toBe('');
  expect(a!.uri).toBe('');
  expect(a!.externalId).toBe('');
  expect(a!.state).toBe(Artifact_State.UNKNOWN);
  expect(a!.createTimeSinceEpoch).toBe(0n);
  expect(a!.lastUpdateTimeSinceEpoch).toBe(0n);
  expectValueCase(a!.properties!.zeroInt, 'intValue', 0n);
  expectValueCase(a!.properties!.zeroDouble, 'doubleValue', 0);
  expectValueCase(a!.properties!.emptyString, 'stringValue', '');
  expectValueCase(a!.properties!.falseBool, 'boolValue', false);
  expectValueCase(a!.properties!.noCase, undefined, undefined);
}

function expectUnsetArtifact(a: Artifact | undefined): void {
  expect(a).toBeDefined();
  for (const key of ['id', 'typeId', 'name', 'uri', 'externalId', 'state', 'createTimeSinceEpoch', 'lastUpdateTimeSinceEpoch'] as const) {
    expect(a![key], key).toBeUndefined();
  }
  expect(a!.properties).toEqual({});
}

/** Exactly one oneof case (or none) is set on a Value. */
function expectValueCase(v: Value | undefined, which: keyof Value | undefined, value: unknown): void {
  expect(v, 'map entry lost').toBeDefined();
  const cases = (['intValue', 'doubleValue', 'stringValue', 'structValue', 'protoValue', 'boolValue'] as const).filter(
    (k) => v![k] !== undefined,
  );
  expect(cases).toEqual(which ? [which] : []);
  if (which) expect(v![which]).toBe(value);
}

describe('wire: a zero sent explicitly stays distinguishable from unset', () => {
  it('Artifact fields, enum 0 (UNKNOWN) and Value cases holding zeros survive both directions', async () => {
    await call(echo.client, 'putArtifacts', PutArtifactsRequest.fromPartial({ artifacts: [ZEROED, {}] }));
    const seen = lastReceived<PutArtifactsRequest>('putArtifacts');
    expectZeroedArtifact(seen.artifacts![0]);
    expectUnsetArtifact(seen.artifacts![1]);

    const back = await call(echo.client, 'getArtifacts', {});
    expectZeroedArtifact(back.artifacts![0]);
    expectUnsetArtifact(back.artifacts![1]);
  });

  it('ListOperationOptions.max_result_size = 0 and is_asc = false are kept; absent fields stay absent', async () => {
    const res = await call(echo.client, 'getArtifacts', {
      options: { maxResultSize: 0, orderByField: { isAsc: false } },
    });
    const seen = lastReceived<GetArtifactsRequest>('getArtifacts').options!;
    const echoed = decodeEchoedOptions(res.nextPageToken).setOptions!;
    for (const options of [seen, echoed]) {
      expect(options.maxResultSize).toBe(0);
      expect(options.orderByField!.isAsc).toBe(false);
      expect(options.orderByField!.field).toBeUndefined();
      expect(options.filterQuery).toBeUndefined();
      expect(options.nextPageToken).toBeUndefined();
    }
  });

  it('Event.milliseconds_since_epoch = 0 (and ids 0, type UNKNOWN) vs absent', async () => {
    const zero: Event = { artifactId: 0n, executionId: 0n, millisecondsSinceEpoch: 0n, type: Event_Type.UNKNOWN, path: { steps: [{ index: 0n }, { key: '' }] } };
    const bare: Event = { artifactId: 1n, executionId: 2n, type: Event_Type.INPUT };
    await call(echo.client, 'putEvents', PutEventsRequest.fromPartial({ events: [zero, bare] }));
    const back = await call(echo.client, 'getEventsByExecutionIDs', { executionIds: [0n] });
    for (const events of [lastReceived<PutEventsRequest>('putEvents').events!, back.events!]) {
      expect(events[0].millisecondsSinceEpoch).toBe(0n);
      expect(events[0].artifactId).toBe(0n);
      expect(events[0].executionId).toBe(0n);
      expect(events[0].type).toBe(Event_Type.UNKNOWN);
      expect(events[0].path!.steps![0].index).toBe(0n);
      expect(events[0].path!.steps![0].key).toBeUndefined();
      expect(events[0].path!.steps![1].key).toBe('');
      expect(events[0].path!.steps![1].index).toBeUndefined();
      expect(events[1].millisecondsSinceEpoch).toBeUndefined();
      expect(events[1].path).toBeUndefined();
    }
  });
});

describe('wire: int64 values round-trip exactly', () => {
  it('in repeated ids, singular ids and Value.int_value', async () => {
    const res = await call(echo.client, 'getArtifactsById', { artifactIds: EXTREME_INT64 });
    expect(lastReceived<GetArtifactsByIDRequest>('getArtifactsById').artifactIds).toEqual(EXTREME_INT64);
    expect(res.artifacts!.map((a) => a.id)).toEqual(EXTREME_INT64);
    expect(res.artifacts!.map((a) => a.typeId)).toEqual(EXTREME_INT64);
    expect(res.artifacts!.map((a) => a.properties!.echoed.intValue)).toEqual(EXTREME_INT64);
  });

  it('in artifacts sent by the client and echoed back', async () => {
    const artifacts: Artifact[] = EXTREME_INT64.map((n) => ({
      id: n,
      typeId: n,
      createTimeSinceEpoch: n,
      customProperties: { n: { intValue: n } },
    }));
    const put = await call(echo.client, 'putArtifacts', { artifacts });
    expect(put.artifactIds).toEqual(EXTREME_INT64);
    const back = await call(echo.client, 'getArtifacts', {});
    expect(back.artifacts!.map((a) => [a.id, a.typeId, a.createTimeSinceEpoch, a.customProperties!.n.intValue])).toEqual(
      artifacts.map((a) => [a.id, a.typeId, a.createTimeSinceEpoch, a.customProperties!.n.intValue]),
    );
  });
});

describe('wire: declared defaults apply when a field is absent (src/proto/defaults.ts)', () => {
  it('ListOperationOptions: absent fields become 20 / ID / ascending on the server', async () => {
    await call(echo.client, 'getArtifacts', { options: {} });
    const seen = lastReceived<GetArtifactsRequest>('getArtifacts');
    expect(seen.options!.maxResultSize).toBeUndefined();
    expect(listOptionsWithDefaults(seen.options)).toMatchObject({
      maxResultSize: 20,
      orderBy: { field: ListOperationOptions_OrderByField_Field.ID, isAsc: true },
    });
    await call(echo.client, 'getArtifacts', { options: { orderByField: { field: ListOperationOptions_OrderByField_Field.CREATE_TIME } } });
    expect(listOptionsWithDefaults(lastReceived<GetArtifactsRequest>('getArtifacts').options).orderBy).toEqual({
      field: ListOperationOptions_OrderByField_Field.CREATE_TIME,
      isAsc: true,
    });
  });

  it('GetArtifactsByID.populate_artifact_types: absent means false, observable in the response', async () => {
    expect((await call(echo.client, 'getArtifactsById', { artifactIds: [1n] })).artifactTypes).toEqual([]);
    expect((await call(echo.client, 'getArtifactsById', { artifactIds: [1n], populateArtifactTypes: true })).artifactTypes).toHaveLength(1);
  });

  it('all_fields_match, max_node_size and include_ending_nodes', async () => {
    await call(echo.client, 'putTypes', {});
    expect(allFieldsMatch(lastReceived<PutTypesRequest>('putTypes'))).toBe(true);
    await call(echo.client, 'putTypes', { allFieldsMatch: false });
    expect(allFieldsMatch(lastReceived<PutTypesRequest>('putTypes'))).toBe(false);

    await call(echo.client, 'getLineageGraph', { options: {} });
    expect(maxNodeSize(lastReceived<GetLineageGraphRequest>('getLineageGraph').options)).toBe(20n);
    await call(echo.client, 'getLineageGraph', { options: { maxNodeSize: 0n } });
    expect(maxNodeSize(lastReceived<GetLineageGraphRequest>('getLineageGraph').options)).toBe(0n);

    await call(echo.client, 'getLineageSubgraph', {
      lineageSubgraphQueryOptions: { endingArtifacts: { filterQuery: 'uri = "x"' }, endingExecutions: { includeEndingNodes: true } },
    });
    const options = lastReceived<GetLineageSubgraphRequest>('getLineageSubgraph').lineageSubgraphQueryOptions!;
    expect(options.endingArtifacts!.includeEndingNodes).toBeUndefined();
    expect(includeEndingNodes(options.endingArtifacts)).toBe(false);
    expect(includeEndingNodes(options.endingExecutions)).toBe(true);
    // max_num_hops has no declared default: absent must stay visibly absent (server rule: 100).
    expect(options.maxNumHops).toBeUndefined();
  });
});

describeWithReferencePython('wire: requests encoded by the official Python protobuf', () => {
  let encoded: Record<'putArtifacts' | 'getArtifacts' | 'putEvents' | 'getArtifactsById', Buffer>;

  beforeAll(() => {
    const b64 = runPythonJson<Record<string, string>>(`
import base64, json
from ml_metadata.proto import metadata_store_pb2 as mlmd, metadata_store_service_pb2 as svc
zeroed = mlmd.Artifact(id=0, type_id=0, name="", uri="", external_id="", state=mlmd.Artifact.UNKNOWN,
                       create_time_since_epoch=0, last_update_time_since_epoch=0)
zeroed.properties["zeroInt"].int_value = 0
zeroed.properties["zeroDouble"].double_value = 0.0
zeroed.properties["emptyString"].string_value = ""
zeroed.properties["falseBool"].bool_value = False
zeroed.properties.get_or_create("noCase")
requests = {
    "putArtifacts": svc.PutArtifactsRequest(artifacts=[zeroed, mlmd.Artifact()]),
    "getArtifacts": svc.GetArtifactsRequest(options=mlmd.ListOperationOptions(
        max_result_size=0, order_by_field=mlmd.ListOperationOptions.OrderByField(is_asc=False))),
    "putEvents": svc.PutEventsRequest(events=[
        mlmd.Event(artifact_id=0, execution_id=0, milliseconds_since_epoch=0, type=mlmd.Event.UNKNOWN),
        mlmd.Event(artifact_id=1, execution_id=2, type=mlmd.Event.INPUT)]),
    "getArtifactsById": svc.GetArtifactsByIDRequest(artifact_ids=[${EXTREME_INT64.join(', ')}]),
}
print(json.dumps({k: base64.b64encode(v.SerializeToString()).decode() for k, v in requests.items()}))
`);
    encoded = Object.fromEntries(Object.entries(b64).map(([k, v]) => [k, Buffer.from(v, 'base64')])) as typeof encoded;
  });

  it('our decoder sees every explicit zero the Python client set, and no more', async () => {
    await callRaw(echo.client, 'PutArtifacts', encoded.putArtifacts);
    const artifacts = lastReceived<PutArtifactsRequest>('putArtifacts').artifacts!;
    expectZeroedArtifact(artifacts[0]);
    expectUnsetArtifact(artifacts[1]);

    await callRaw(echo.client, 'GetArtifacts', encoded.getArtifacts);
    const options = lastReceived<GetArtifactsRequest>('getArtifacts').options!;
    expect(options.maxResultSize).toBe(0);
    expect(options.orderByField!.isAsc).toBe(false);
    expect(options.orderByField!.field).toBeUndefined();

    await callRaw(echo.client, 'PutEvents', encoded.putEvents);
    const events = lastReceived<PutEventsRequest>('putEvents').events!;
    expect(events[0]).toMatchObject({ artifactId: 0n, executionId: 0n, millisecondsSinceEpoch: 0n, type: Event_Type.UNKNOWN });
    expect(events[1].millisecondsSinceEpoch).toBeUndefined();

    await callRaw(echo.client, 'GetArtifactsByID', encoded.getArtifactsById);
    expect(lastReceived<GetArtifactsByIDRequest>('getArtifactsById').artifactIds).toEqual(EXTREME_INT64);
  });

  it('the Python client reads presence and int64 exactly from what our server encodes', async () => {
    await callRaw(echo.client, 'PutArtifacts', encoded.putArtifacts);
    const artifacts = await callRaw(echo.client, 'GetArtifacts', encoded.getArtifacts);
    const byId = await callRaw(echo.client, 'GetArtifactsByID', encoded.getArtifactsById);
    await callRaw(echo.client, 'PutEvents', encoded.putEvents);
    const events = await callRaw(echo.client, 'GetEventsByExecutionIDs', Buffer.alloc(0));

    const seen = runPythonJson<{
      artifacts: { present: string[]; state: number | null; props: Record<string, string | null> }[];
      token: { present: string[]; max_result_size: number; is_asc: boolean; has_field: boolean };
      ids: string[];
      int_values: string[];
      events: { present: string[] }[];
    }>(`
import base64, json
from ml_metadata.proto import metadata_store_pb2 as mlmd, metadata_store_service_pb2 as svc
got = svc.GetArtifactsResponse.FromString(base64.b64decode("${artifacts.toString('base64')}"))
by_id = svc.GetArtifactsByIDResponse.FromString(base64.b64decode("${byId.toString('base64')}"))
events = svc.GetEventsByExecutionIDsResponse.FromString(base64.b64decode("${events.toString('base64')}"))
token = got.next_page_token
token = mlmd.ListOperationNextPageToken.FromString(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
opts = token.set_options
present = lambda m: sorted(f.name for f, _ in m.ListFields())
print(json.dumps({
    "artifacts": [{"present": present(a), "state": a.state if a.HasField("state") else None,
                   "props": {k: v.WhichOneof("value") for k, v in a.properties.items()}} for a in got.artifacts],
    "token": {"present": present(opts), "max_result_size": opts.max_result_size,
              "is_asc": opts.order_by_field.is_asc, "has_field": opts.order_by_field.HasField("field")},
    "ids": [str(a.id) for a in by_id.artifacts],
    "int_values": [str(a.properties["echoed"].int_value) for a in by_id.artifacts],
    "events": [{"present": present(e)} for e in events.events],
}))
`);
    expect(seen.artifacts[0].present).toEqual(
      ['create_time_since_epoch', 'external_id', 'id', 'last_update_time_since_epoch', 'name', 'properties', 'state', 'type_id', 'uri'],
    );
    expect(seen.artifacts[0].state).toBe(0);
    expect(seen.artifacts[0].props).toEqual({ zeroInt: 'int_value', zeroDouble: 'double_value', emptyString: 'string_value', falseBool: 'bool_value', noCase: null });
    expect(seen.artifacts[1].present).toEqual([]);
    expect(seen.token).toEqual({ present: ['max_result_size', 'order_by_field'], max_result_size: 0, is_asc: false, has_field: false });
    expect(seen.ids).toEqual(EXTREME_INT64.map(String));
    expect(seen.int_values).toEqual(EXTREME_INT64.map(String));
    expect(seen.events.map((e) => e.present)).toEqual([
      ['artifact_id', 'execution_id', 'milliseconds_since_epoch', 'type'],
      ['artifact_id', 'execution_id', 'type'],
    ]);
  });
});
