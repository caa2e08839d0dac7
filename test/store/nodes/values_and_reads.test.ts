import { expect, it } from 'vitest';
import { Any } from '../../../src/generated/google/protobuf/any';
import { Struct } from '../../../src/generated/google/protobuf/struct';
import { PropertyType as P, type Value } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import type { RequestOf, RpcMethod } from '../../../src/store/rpc';
import { countStatements, insertType } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;

describeStore('Property values and node reads', (ctx) => {
  const call = <M extends RpcMethod>(m: M, r: RequestOf<M>) => ctx().store.call(m, r);
  const failure = async <M extends RpcMethod>(m: M, r: RequestOf<M>) =>
    (await call(m, r).then(
      () => undefined,
      (e: unknown) => e,
    )) as MlmdError;

  it('round-trips every Value kind exactly, int64 extremes and full-precision doubles included', async () => {
    const t = await insertType(ctx().db, 'artifact', { i: P.INT, d: P.DOUBLE, s: P.STRING, st: P.STRUCT, pr: P.PROTO, b: P.BOOLEAN });
    const any = { typeUrl: 'type.googleapis.com/google.protobuf.Struct', value: Buffer.from(Struct.encode(Struct.wrap({ k: 'v' })).finish()) };
    const values: Record<string, Value> = {
      max: { intValue: INT64_MAX },
      min: { intValue: INT64_MIN + 1n },
      realMin: { intValue: INT64_MIN },
      big: { intValue: 2n ** 53n + 1n },
      d1: { doubleValue: 0.1234567891234 },
      d2: { doubleValue: 1e-300 },
      d3: { doubleValue: -1.7976931348623157e308 },
      str: { stringValue: 'héllo \u{1F600} \'"\\' },
      empty: { stringValue: '' },
      st: { structValue: { a: 1.5, b: [true, null, 'x'], c: { d: 'e' } } },
      pr: { protoValue: any },
      t: { boolValue: true },
      f: { boolValue: false },
    };
    const properties: Record<string, Value> = {
      i: { intValue: INT64_MAX },
      d: { doubleValue: 0.1234567891234 },
      s: { stringValue: 's' },
      st: { structValue: { x: 'y' } },
      pr: { protoValue: any },
      b: { boolValue: false },
    };
    const { artifactIds } = await call('putArtifacts', { artifacts: [{ typeId: t.id, properties, customProperties: values }] });
    const [a] = (await call('getArtifactsById', { artifactIds })).artifacts!;
    expect(a.properties).toEqual(properties);
    expect(a.customProperties).toEqual(values);
  });

  it('stores struct and proto values in upstream\'s encodings and bools as 1/0', async () => {
    const t = await insertType(ctx().db, 'execution');
    const any = { typeUrl: 'type.googleapis.com/x.Y', value: Buffer.from([8, 150, 1]) };
    const { executionIds } = await call('putExecutions', {
      executions: [{ typeId: t.id, customProperties: { st: { structValue: { k: 'v' } }, pr: { protoValue: any }, b: { boolValue: true } } }],
    });
    const db = ctx().db;
    const rows = await db.knex(db.table('ExecutionProperty')).where('execution_id', Number(executionIds![0])).orderBy('name');
    const byName = Object.fromEntries((rows as Record<string, unknown>[]).map((r) => [r.name as string, r]));
    expect(byName.st.string_value).toBe('mlmd-struct::' + Buffer.from(Struct.encode(Struct.wrap({ k: 'v' })).finish()).toString('base64'));
    const anyBytes = Buffer.from(Any.encode(any).finish());
    const proto = byName.pr.proto_value as Buffer | string;
    if (db.dialect === 'postgres') expect(Buffer.from(proto as Buffer)).toEqual(anyBytes);
    else expect(Buffer.from(proto as never).toString('latin1')).toBe(anyBytes.toString('base64'));
    expect([1, true]).toContain(byName.b.bool_value);
    for (const name of ['st', 'pr', 'b']) expect([1, true]).toContain(byName[name].is_custom_property);
  });

  it('reads a row upstream wrote: first non-NULL column wins, prefixed strings are structs', async () => {
    const t = await insertType(ctx().db, 'context');
    const { contextIds } = await call('putContexts', { contexts: [{ typeId: t.id, name: 'legacy' }] });
    const db = ctx().db;
    const flag = db.dialect === 'postgres' ? true : 1;
    await db.knex(db.table('ContextProperty')).insert([
      { context_id: Number(contextIds![0]), name: 'both', is_custom_property: flag, int_value: 3, string_value: 'ignored' },
      { context_id: Number(contextIds![0]), name: 'prefixed', is_custom_property: flag, string_value: 'mlmd-struct::' + Buffer.from(Struct.encode(Struct.wrap({ q: 1 })).finish()).toString('base64') },
    ]);
    const [c] = (await call('getContextsById', { contextIds })).contexts!;
    expect(c.customProperties).toEqual({ both: { intValue: 3n }, prefixed: { structValue: { q: 1 } } });
  });

  it('GetArtifactsByID: ascending ids, duplicates collapse, unknown skipped, types on request', async () => {
    const t = await insertType(ctx().db, 'artifact', { p: P.STRING }, { version: 'v1' });
    const { artifactIds } = await call('putArtifacts', { artifacts: [{ typeId: t.id }, { typeId: t.id }] });
    const [x, y] = artifactIds!;
    const res = await call('getArtifactsById', { artifactIds: [y, x, y, 99_999_999n, -1n, INT64_MAX] });
    expect(res.artifacts!.map((a) => a.id)).toEqual([x, y]);
    expect(res.artifactTypes).toEqual([]);
    const withTypes = await call('getArtifactsById', { artifactIds: [x, y], populateArtifactTypes: true });
    expect(withTypes.artifactTypes).toEqual([{ id: t.id, name: t.name, version: 'v1', properties: { p: P.STRING } }]);
    expect(await call('getArtifactsById', { artifactIds: [] })).toEqual({ artifacts: [], artifactTypes: [] });
  });

  it('Get*ByType: by (name, version) exactly, empty for unknown types, paging through options', async () => {
    const plain = await insertType(ctx().db, 'execution');
    const versioned = await insertType(ctx().db, 'execution', {}, { name: plain.name, version: 'v2' });
    const { executionIds } = await call('putExecutions', { executions: Array.from({ length: 5 }, () => ({ typeId: plain.id })) });
    await call('putExecutions', { executions: [{ typeId: versioned.id }] });
    expect((await call('getExecutionsByType', { typeName: plain.name })).executions!.map((e) => e.id)).toEqual(executionIds);
    expect((await call('getExecutionsByType', { typeName: plain.name, typeVersion: 'v2' })).executions).toHaveLength(1);
    expect(await call('getExecutionsByType', { typeName: 'no-such-type' })).toEqual({ executions: [] });
    const page1 = await call('getExecutionsByType', { typeName: plain.name, options: { maxResultSize: 3 } });
    expect(page1.executions!.map((e) => e.id)).toEqual(executionIds!.slice(0, 3));
    const page2 = await call('getExecutionsByType', { typeName: plain.name, options: { maxResultSize: 3, nextPageToken: page1.nextPageToken } });
    expect(page2.executions!.map((e) => e.id)).toEqual(executionIds!.slice(3));
    expect(page2.nextPageToken).toBe('');
    // Bad options matter only when the type has nodes (quirk B30).
    const empty = await insertType(ctx().db, 'execution');
    expect(await call('getExecutionsByType', { typeName: empty.name, options: { maxResultSize: 0 } })).toEqual({ executions: [] });
    expect((await failure('getExecutionsByType', { typeName: plain.name, options: { maxResultSize: 0 } })).code).toBe(StatusCode.INVALID_ARGUMENT);
  });

  it('Get*ByTypeAndName: the node, or no field at all', async () => {
    const t = await insertType(ctx().db, 'artifact');
    const { artifactIds } = await call('putArtifacts', { artifacts: [{ typeId: t.id, name: 'n' }, { typeId: t.id }] });
    expect((await call('getArtifactByTypeAndName', { typeName: t.name, artifactName: 'n' })).artifact!.id).toBe(artifactIds![0]);
    const missing = await call('getArtifactByTypeAndName', { typeName: t.name, artifactName: '' });
    expect('artifact' in missing && missing.artifact !== undefined).toBe(false);
    expect((await call('getArtifactByTypeAndName', { typeName: 'nope', artifactName: 'n' })).artifact).toBeUndefined();
    const tc = await insertType(ctx().db, 'context', {}, { version: '2' });
    await call('putContexts', { contexts: [{ typeId: tc.id, name: 'cx' }] });
    expect((await call('getContextByTypeAndName', { typeName: tc.name, contextName: 'cx' })).context).toBeUndefined();
    expect((await call('getContextByTypeAndName', { typeName: tc.name, typeVersion: '2', contextName: 'cx' })).context!.name).toBe('cx');
  });

  it('GetArtifactsByURI: distinct uris, "" for uri-less artifacts, deprecated field 1 rejected', async () => {
    const t = await insertType(ctx().db, 'artifact');
    const uri = `/u/${Math.random()}`;
    const { artifactIds } = await call('putArtifacts', { artifacts: [{ typeId: t.id, uri }, { typeId: t.id, uri }, { typeId: t.id }] });
    expect((await call('getArtifactsByUri', { uris: [uri, uri] })).artifacts!.map((a) => a.id)).toEqual(artifactIds!.slice(0, 2));
    expect((await call('getArtifactsByUri', { uris: [''] })).artifacts!.map((a) => a.id)).toContain(artifactIds![2]);
    expect(await call('getArtifactsByUri', { uris: [] })).toEqual({ artifacts: [] });
    // Field 1 (string, wire type 2) as the decoder keeps it: keyed by tag (1 << 3 | 2).
    const e = await failure('getArtifactsByUri', { uris: [uri], _unknownFields: { 10: [Buffer.from([10, 1, 120])] } });
    expect(e.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(e.message).toContain('The request contains deprecated field `uri`');
  });

  it('Get*ByExternalIds: found ones; none found NOT_FOUND; empty id INVALID_ARGUMENT', async () => {
    const t = await insertType(ctx().db, 'context');
    const ext = `ext-${Math.random()}`;
    const { contextIds } = await call('putContexts', { contexts: [{ typeId: t.id, name: 'e', externalId: ext }] });
    expect((await call('getContextsByExternalIds', { externalIds: [ext, 'missing'] })).contexts!.map((c) => c.id)).toEqual(contextIds);
    expect((await failure('getContextsByExternalIds', { externalIds: ['missing'] })).code).toBe(StatusCode.NOT_FOUND);
    expect((await failure('getArtifactsByExternalIds', { externalIds: [''] })).code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await call('getExecutionsByExternalIds', { externalIds: [] })).toEqual({ executions: [] });
  });

  it('issues the same number of statements for 1 and 1,000 nodes (create, update, read)', async () => {
    const t = await insertType(ctx().db, 'artifact', { p: P.INT, s: P.STRING });
    const db = ctx().db;
    const batch = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({
        typeId: t.id,
        name: `${tag}-${i}`,
        externalId: `${tag}-x-${i}`,
        properties: { p: { intValue: BigInt(i) }, s: { stringValue: 'v' } },
        customProperties: { c: { doubleValue: i / 7 }, d: { boolValue: true } },
      }));
    const ids: Record<number, bigint[]> = {};
    // The type's schema is read once and remembered (node_type_schema.ts): measure warm.
    await call('putArtifacts', { artifacts: batch(1, 'warm') });
    const creates: number[] = [];
    for (const n of [1, 1000]) {
      creates.push((await countStatements(db, async () => (ids[n] = (await call('putArtifacts', { artifacts: batch(n, `sc${n}`) })).artifactIds!))).statements);
    }
    expect(creates[0], 'create').toBe(creates[1]);
    const updates: number[] = [];
    for (const n of [1, 1000]) {
      const nodes = ids[n].map((id, i) => ({ id, externalId: `sc${n}-y-${i}`, properties: { p: { intValue: BigInt(-i - 1) } }, customProperties: { c: { stringValue: 'now a string' } } }));
      updates.push((await countStatements(db, () => call('putArtifacts', { artifacts: nodes }))).statements);
    }
    expect(updates[0], 'update').toBe(updates[1]);
    const reads: number[] = [];
    for (const n of [1, 1000]) reads.push((await countStatements(db, () => call('getArtifactsById', { artifactIds: ids[n] }))).statements);
    expect(reads[0], 'read').toBe(reads[1]);
    const updated = (await call('getArtifactsById', { artifactIds: ids[1000] })).artifacts!;
    expect(updated).toHaveLength(1000);
    expect(updated[999]).toMatchObject({ externalId: 'sc1000-y-999', properties: { p: { intValue: -1000n } }, customProperties: { c: { stringValue: 'now a string' } } });
  });
});
