import { expect, it } from 'vitest';
import { Artifact_State, Execution_State, PropertyType as P, type Artifact, type Context } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import type { RequestOf, RpcMethod } from '../../../src/store/rpc';
import { expectRejectedWithoutTrace, insertType, statementsDuring } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

describeStore('PutArtifacts / PutExecutions / PutContexts', (ctx) => {
  const call = <M extends RpcMethod>(m: M, r: RequestOf<M>) => ctx().store.call(m, r);
  const getArtifact = async (id: bigint) => (await call('getArtifactsById', { artifactIds: [id] })).artifacts![0];
  const getContext = async (id: bigint) => (await call('getContextsById', { contextIds: [id] })).contexts![0];

  const rejected = <M extends RpcMethod>(m: M, r: RequestOf<M>, code: StatusCode, phrase?: RegExp): Promise<MlmdError> =>
    expectRejectedWithoutTrace(ctx().db, () => call(m, r), code, phrase);

  it('creates nodes index-aligned with both timestamps and every stored field', async () => {
    const t = await insertType(ctx().db, 'artifact', { p: P.INT });
    const { artifactIds } = await call('putArtifacts', {
      artifacts: [
        { typeId: t.id, uri: '/a', name: 'a1', externalId: 'ext-a1', state: Artifact_State.LIVE, properties: { p: { intValue: 5n } } },
        { typeId: t.id },
      ],
    });
    expect(artifactIds).toHaveLength(2);
    const [a1, a2] = (await call('getArtifactsById', { artifactIds })).artifacts!;
    expect(a1).toEqual({
      id: artifactIds![0],
      typeId: t.id,
      type: t.name,
      uri: '/a',
      name: 'a1',
      externalId: 'ext-a1',
      state: Artifact_State.LIVE,
      properties: { p: { intValue: 5n } },
      customProperties: {},
      createTimeSinceEpoch: a1.createTimeSinceEpoch,
      lastUpdateTimeSinceEpoch: a1.createTimeSinceEpoch,
    });
    expect(a1.createTimeSinceEpoch! > 0n).toBe(true);
    // An artifact created without uri reads back with uri "" (quirk B3), and nothing else invented.
    expect(a2).toEqual({
      id: artifactIds![1],
      typeId: t.id,
      type: t.name,
      uri: '',
      properties: {},
      customProperties: {},
      createTimeSinceEpoch: a2.createTimeSinceEpoch,
      lastUpdateTimeSinceEpoch: a2.lastUpdateTimeSinceEpoch,
    });
  });

  it('writes the properties of every value type of a request in one INSERT per node kind, each value in its own column', async () => {
    const t = await insertType(ctx().db, 'artifact', { s: P.STRING, i: P.INT, d: P.DOUBLE, b: P.BOOLEAN });
    const properties = { s: { stringValue: 'x' }, i: { intValue: -7n }, d: { doubleValue: 0.25 }, b: { boolValue: true } };
    const customProperties = { c: { stringValue: 'y' }, n: { intValue: 9007199254740993n } };
    const { result, sql } = await statementsDuring(ctx().db, () =>
      call('putArtifacts', { artifacts: [{ typeId: t.id, uri: '/p1', properties, customProperties }, { typeId: t.id, uri: '/p2', properties: { d: { doubleValue: -1 } } }] }),
    );
    expect(sql.filter((s) => /^\s*insert into\s+\W?ArtifactProperty\b/i.test(s))).toHaveLength(1);
    const [a1, a2] = (await call('getArtifactsById', { artifactIds: result.artifactIds })).artifacts!;
    expect(a1.properties).toEqual(properties);
    expect(a1.customProperties).toEqual(customProperties);
    expect(a2.properties).toEqual({ d: { doubleValue: -1 } });
    // Every other value column of a row stays NULL, as a row naming only its own column leaves it.
    const rows = (await ctx().db.knex(ctx().db.table('ArtifactProperty')).whereIn('artifact_id', result.artifactIds!.map(Number)).select('*')) as Record<string, unknown>[];
    expect(rows).toHaveLength(7);
    const valueColumns = ['int_value', 'double_value', 'string_value', 'bool_value', 'byte_value', 'proto_value'].filter((c) => c in rows[0]);
    for (const row of rows) expect(valueColumns.filter((c) => row[c] !== null)).toHaveLength(1);
  });

  it('stores an explicit UNKNOWN state as present, and executions and contexts likewise', async () => {
    const ta = await insertType(ctx().db, 'artifact');
    const te = await insertType(ctx().db, 'execution');
    const tc = await insertType(ctx().db, 'context');
    const { artifactIds } = await call('putArtifacts', { artifacts: [{ typeId: ta.id, state: Artifact_State.UNKNOWN }] });
    expect((await getArtifact(artifactIds![0])).state).toBe(Artifact_State.UNKNOWN);
    const { executionIds } = await call('putExecutions', { executions: [{ typeId: te.id, lastKnownState: Execution_State.RUNNING, name: '' }] });
    const [e] = (await call('getExecutionsById', { executionIds })).executions!;
    expect(e).toMatchObject({ type: te.name, lastKnownState: Execution_State.RUNNING, name: '' });
    const { contextIds } = await call('putContexts', { contexts: [{ typeId: tc.id, name: 'c' }] });
    expect(await getContext(contextIds![0])).toMatchObject({ type: tc.name, name: 'c' });
    expect((await getContext(contextIds![0])).externalId).toBeUndefined();
  });

  it('rejects creates without type_id (INVALID_ARGUMENT) and with unknown or wrong-kind type_id (NOT_FOUND)', async () => {
    await rejected('putArtifacts', { artifacts: [{ uri: '/x' }] }, StatusCode.INVALID_ARGUMENT, /Type id is missing/);
    await rejected('putArtifacts', { artifacts: [{ typeId: 999_999n }] }, StatusCode.NOT_FOUND, /999999/);
    const te = await insertType(ctx().db, 'execution');
    await rejected('putArtifacts', { artifacts: [{ typeId: te.id }] }, StatusCode.NOT_FOUND);
    await rejected('putContexts', { contexts: [{ typeId: te.id, name: 'x' }] }, StatusCode.NOT_FOUND);
  });

  it('checks typed properties against the type with upstream\'s phrases; custom properties are free-form', async () => {
    const t = await insertType(ctx().db, 'artifact', { foo: P.INT, s: P.STRING });
    await rejected('putArtifacts', { artifacts: [{ typeId: t.id, properties: { foo: { stringValue: 'x' } } }] }, StatusCode.INVALID_ARGUMENT, /Found unmatched property type: foo/);
    await rejected('putArtifacts', { artifacts: [{ typeId: t.id, properties: { foo: {} } }] }, StatusCode.INVALID_ARGUMENT, /Found unmatched property type: foo/);
    await rejected('putArtifacts', { artifacts: [{ typeId: t.id, properties: { bar: { intValue: 1n } } }] }, StatusCode.INVALID_ARGUMENT, /Found unknown property: bar/);
    const { artifactIds } = await call('putArtifacts', {
      artifacts: [{ typeId: t.id, properties: { s: { stringValue: 'ok' } }, customProperties: { foo: { stringValue: 'any kind' }, s: { intValue: 2n } } }],
    });
    const a = await getArtifact(artifactIds![0]);
    expect(a.properties).toEqual({ s: { stringValue: 'ok' } });
    // The same name as a typed and as a custom property: independent rows.
    expect(a.customProperties).toEqual({ foo: { stringValue: 'any kind' }, s: { intValue: 2n } });
  });

  it('rejects an empty custom Value and a proto_value without type_url', async () => {
    const t = await insertType(ctx().db, 'execution');
    await rejected('putExecutions', { executions: [{ typeId: t.id, customProperties: { e: {} } }] }, StatusCode.INVALID_ARGUMENT, /custom_properties\["e"\]/);
    await rejected(
      'putExecutions',
      { executions: [{ typeId: t.id, customProperties: { p: { protoValue: { typeUrl: '', value: Buffer.from([8, 1]) } } } }] },
      StatusCode.INVALID_ARGUMENT,
      /type_url/,
    );
  });

  it('rejects a whole batch whose last element is invalid, leaving every table as it was', async () => {
    const t = await insertType(ctx().db, 'artifact', { n: P.INT });
    const good = Array.from({ length: 20 }, (_, i): Artifact => ({ typeId: t.id, name: `batch-${i}`, properties: { n: { intValue: BigInt(i) } } }));
    await rejected('putArtifacts', { artifacts: [...good, { typeId: t.id, properties: { n: { doubleValue: 1 } } }] }, StatusCode.INVALID_ARGUMENT, /artifacts\[20\]/);
    await rejected('putArtifacts', { artifacts: [...good, { typeId: t.id, name: 'batch-3' }] }, StatusCode.ALREADY_EXISTS, /batch-3/);
    const { artifactIds } = await call('putArtifacts', { artifacts: good.slice(0, 1) });
    await rejected('putArtifacts', { artifacts: [...good.slice(1), { id: artifactIds![0] + 1000n, typeId: t.id }] }, StatusCode.INVALID_ARGUMENT, /Cannot find the given id/);
  });

  it('enforces (type, name) and external_id uniqueness on create, also within one request', async () => {
    const t = await insertType(ctx().db, 'context');
    const other = await insertType(ctx().db, 'context');
    await rejected('putContexts', { contexts: [{ typeId: t.id, name: 'dup' }, { typeId: t.id, name: 'dup' }] }, StatusCode.ALREADY_EXISTS);
    await call('putContexts', { contexts: [{ typeId: t.id, name: 'dup' }, { typeId: other.id, name: 'dup' }] });
    await rejected('putContexts', { contexts: [{ typeId: t.id, name: 'dup' }] }, StatusCode.ALREADY_EXISTS);
    await call('putContexts', { contexts: [{ typeId: t.id, name: 'e1', externalId: 'ctx-ext' }] });
    await rejected('putContexts', { contexts: [{ typeId: other.id, name: 'e2', externalId: 'ctx-ext' }] }, StatusCode.ALREADY_EXISTS, /ctx-ext/);
    // Artifacts: an empty name is a real name; unnamed artifacts never collide.
    const ta = await insertType(ctx().db, 'artifact');
    await call('putArtifacts', { artifacts: [{ typeId: ta.id }, { typeId: ta.id }, { typeId: ta.id, name: '' }] });
    await rejected('putArtifacts', { artifacts: [{ typeId: ta.id, name: '' }] }, StatusCode.ALREADY_EXISTS);
    await rejected('putArtifacts', { artifacts: [{ typeId: ta.id, externalId: '' }, { typeId: ta.id, externalId: '' }] }, StatusCode.ALREADY_EXISTS);
  });

  it('requires a non-empty context name on create and unmasked update', async () => {
    const t = await insertType(ctx().db, 'context');
    await rejected('putContexts', { contexts: [{ typeId: t.id }] }, StatusCode.INVALID_ARGUMENT, /Context name should not be empty/);
    await rejected('putContexts', { contexts: [{ typeId: t.id, name: '' }] }, StatusCode.INVALID_ARGUMENT, /Context name should not be empty/);
    const { contextIds } = await call('putContexts', { contexts: [{ typeId: t.id, name: 'named' }] });
    await rejected('putContexts', { contexts: [{ id: contextIds![0], typeId: t.id }] }, StatusCode.INVALID_ARGUMENT, /Context name should not be empty/);
    await rejected('putContexts', { contexts: [{ id: contextIds![0] }], updateMask: ['name'] }, StatusCode.INVALID_ARGUMENT, /Context name should not be empty/);
  });

  it('updates as a whole without a mask: keeps type and artifact name, clears omitted fields', async () => {
    const t = await insertType(ctx().db, 'artifact', { p: P.STRING });
    const { artifactIds } = await call('putArtifacts', {
      artifacts: [{ typeId: t.id, name: 'keep', uri: '/u', externalId: 'x1', state: Artifact_State.LIVE, properties: { p: { stringValue: 'a' } }, customProperties: { c: { intValue: 1n } } }],
    });
    const id = artifactIds![0];
    const { artifactIds: again } = await call('putArtifacts', { artifacts: [{ id, name: 'ignored', customProperties: { d: { boolValue: true } } }] });
    expect(again).toEqual([id]);
    const a = await getArtifact(id);
    expect(a).toMatchObject({ id, typeId: t.id, type: t.name, name: 'keep', uri: '', properties: {}, customProperties: { d: { boolValue: true } } });
    expect(a.externalId).toBeUndefined();
    expect(a.state).toBeUndefined();
    await rejected('putArtifacts', { artifacts: [{ id, typeId: t.id + 1000n }] }, StatusCode.INVALID_ARGUMENT, /type_id/);
    await rejected('putArtifacts', { artifacts: [{ id: 9_223_372_036_854_775_807n }] }, StatusCode.INVALID_ARGUMENT, /Cannot find the given id/);
  });

  it('renames contexts, and rejects a rename onto another context\'s name', async () => {
    const t = await insertType(ctx().db, 'context');
    const { contextIds } = await call('putContexts', { contexts: [{ typeId: t.id, name: 'c1' }, { typeId: t.id, name: 'c2' }] });
    await call('putContexts', { contexts: [{ id: contextIds![0], name: 'c1-renamed' }] });
    expect((await getContext(contextIds![0])).name).toBe('c1-renamed');
    await rejected('putContexts', { contexts: [{ id: contextIds![0], name: 'c2' }] }, StatusCode.ALREADY_EXISTS, /c2/);
    // Swapping names inside one request is fine once both updates are applied.
    await call('putContexts', { contexts: [{ id: contextIds![0], name: 'c1' }] });
    expect((await getContext(contextIds![0])).name).toBe('c1');
  });

  it('applies update_mask paths (contract §5.6 example) and creates mask-less for new nodes', async () => {
    const t = await insertType(ctx().db, 'artifact', { foo: P.INT, bar: P.STRING });
    const { artifactIds } = await call('putArtifacts', { artifacts: [{ typeId: t.id, uri: 'test_uri', properties: { bar: { stringValue: 'Hello' } } }] });
    const id = artifactIds![0];
    const { artifactIds: ids } = await call('putArtifacts', {
      artifacts: [
        { id, typeId: t.id, externalId: 'new_external_id', properties: { foo: { intValue: id }, bar: { stringValue: 'Goodbye' } }, customProperties: { hello: { stringValue: 'World' } } },
        { typeId: t.id, uri: 'created', properties: { foo: { intValue: 7n } } },
      ],
      updateMask: ['external_id', 'properties.foo', 'custom_properties.hello', '', 'invalid_field_mask_path'],
    });
    const a = await getArtifact(id);
    expect(a).toMatchObject({
      uri: 'test_uri',
      externalId: 'new_external_id',
      properties: { bar: { stringValue: 'Hello' }, foo: { intValue: id } },
      customProperties: { hello: { stringValue: 'World' } },
    });
    expect((await getArtifact(ids![1])).uri).toBe('created');
    // A masked path the request lacks deletes; only masked typed properties are validated.
    await call('putArtifacts', { artifacts: [{ id, properties: { nosuch: { intValue: 1n } } }], updateMask: ['properties.bar', 'state'] });
    const b = await getArtifact(id);
    expect(b.properties).toEqual({ foo: { intValue: id } });
    await rejected('putArtifacts', { artifacts: [{ id, properties: { foo: { stringValue: 'x' } } }], updateMask: ['properties.foo'] }, StatusCode.INVALID_ARGUMENT, /unmatched property type: foo/);
    // Bare `custom_properties` replaces that map only.
    await call('putArtifacts', { artifacts: [{ id, customProperties: { z: { doubleValue: 0.5 } } }], updateMask: ['custom_properties'] });
    expect(await getArtifact(id)).toMatchObject({ properties: { foo: { intValue: id } }, customProperties: { z: { doubleValue: 0.5 } }, externalId: 'new_external_id' });
  });

  it('bumps last_update_time only when something changed (contract §5.5)', async () => {
    const t = await insertType(ctx().db, 'execution', { p: P.INT });
    const { executionIds } = await call('putExecutions', { executions: [{ typeId: t.id, properties: { p: { intValue: 1n } } }] });
    const id = executionIds![0];
    const rows = async () => (await call('getExecutionsById', { executionIds: [id] })).executions![0];
    const first = await rows();
    // Pretend the node was written long ago, so any rewrite shows.
    await ctx().db.knex(ctx().db.table('Execution')).where('id', Number(id)).update({ last_update_time_since_epoch: 5 });
    const stored = await rows();
    await call('putExecutions', { executions: [stored] });
    expect((await rows()).lastUpdateTimeSinceEpoch).toBe(5n);
    // Without the output-only `type` the request differs from the stored node (quirk B10).
    const { type: _type, ...withoutType } = stored;
    await call('putExecutions', { executions: [withoutType] });
    expect((await rows()).lastUpdateTimeSinceEpoch! > 5n).toBe(true);
    await ctx().db.knex(ctx().db.table('Execution')).where('id', Number(id)).update({ last_update_time_since_epoch: 5 });
    await call('putExecutions', { executions: [{ ...stored, properties: { p: { intValue: 2n } } }] });
    const changed = await rows();
    expect(changed.lastUpdateTimeSinceEpoch! > 5n).toBe(true);
    expect(changed.createTimeSinceEpoch).toBe(first.createTimeSinceEpoch);
  });

  it('abort_if_latest_updated_time_changed: FAILED_PRECONDITION on mismatch, newer timestamp on match', async () => {
    const t = await insertType(ctx().db, 'artifact');
    const { artifactIds } = await call('putArtifacts', { artifacts: [{ typeId: t.id, uri: '/occ' }] });
    const id = artifactIds![0];
    const stored = await getArtifact(id);
    await rejected(
      'putArtifacts',
      { artifacts: [{ typeId: t.id }, { ...stored, uri: '/new', lastUpdateTimeSinceEpoch: stored.lastUpdateTimeSinceEpoch! - 1n }], options: { abortIfLatestUpdatedTimeChanged: true } },
      StatusCode.FAILED_PRECONDITION,
    );
    await call('putArtifacts', { artifacts: [{ ...stored, uri: '/new' }], options: { abortIfLatestUpdatedTimeChanged: true } });
    const updated = await getArtifact(id);
    expect(updated.uri).toBe('/new');
    expect(updated.lastUpdateTimeSinceEpoch! > stored.lastUpdateTimeSinceEpoch!).toBe(true);
    // Unknown ids skip the check and fail as updates do.
    await rejected('putArtifacts', { artifacts: [{ id: id + 5000n }], options: { abortIfLatestUpdatedTimeChanged: true } }, StatusCode.INVALID_ARGUMENT);
  });

  it('updates the same node twice in one request as two successive updates', async () => {
    const t = await insertType(ctx().db, 'context');
    const { contextIds } = await call('putContexts', { contexts: [{ typeId: t.id, name: 'twice' }] });
    const id = contextIds![0];
    const nodes: Context[] = [
      { id, name: 'twice', customProperties: { a: { intValue: 1n } } },
      { id, name: 'twice', customProperties: { a: { intValue: 2n }, b: { stringValue: 'b' } } },
    ];
    expect((await call('putContexts', { contexts: nodes })).contextIds).toEqual([id, id]);
    expect((await getContext(id)).customProperties).toEqual({ a: { intValue: 2n }, b: { stringValue: 'b' } });
  });

  it('replaces and drops properties with non-ASCII names on update, across many nodes at once', async () => {
    const t = await insertType(ctx().db, 'artifact', { 'größe': P.INT });
    const created = (
      await call('putArtifacts', {
        artifacts: Array.from({ length: 30 }, (_, i) => ({
          typeId: t.id,
          properties: { 'größe': { intValue: BigInt(i) } },
          customProperties: { 'データ': { stringValue: 'alt' }, 'naïve': { boolValue: true } },
        })),
      })
    ).artifactIds!;
    await call('putArtifacts', {
      artifacts: created.map((id, i) => ({ id, typeId: t.id, properties: { 'größe': { intValue: BigInt(-i) } }, customProperties: { 'データ': { stringValue: 'neu' } } })),
    });
    const read = (await call('getArtifactsById', { artifactIds: created })).artifacts!;
    expect(read.map((a) => a.properties)).toEqual(created.map((_, i) => ({ 'größe': { intValue: BigInt(-i) } })));
    expect(read.map((a) => a.customProperties)).toEqual(created.map(() => ({ 'データ': { stringValue: 'neu' } })));
  });

  it('answers an empty request with an empty list', async () => {
    expect(await call('putArtifacts', { artifacts: [] })).toEqual({ artifactIds: [] });
    expect(await call('putContexts', {})).toEqual({ contextIds: [] });
  });
});
