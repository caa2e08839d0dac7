import { afterAll, beforeAll, expect, it } from 'vitest';
import { MLMD_MIGRATIONS } from '../../../migrations';
import { openDatabase, type Database } from '../../../src/database';
import { PropertyType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStore } from '../../../src/store/metadata_store';
import { describeEachBackend } from '../../support/backends';
import { statementsDuring, uniqueName, workStatements } from '../../support/store_assertions';

/** The statements of the work itself: the read transaction's own BEGIN/COMMIT frame left out. */
const work = workStatements;

/**
 * Hot reads in one statement, and two replicas (two pools, as two server processes) on one
 * database: what one remembers about types must never hide what the other changed.
 */
describeEachBackend('single-statement reads and replicas sharing a database', (backend) => {
  let a: { db: Database; store: MetadataStore };
  let b: { db: Database; store: MetadataStore };
  beforeAll(async () => {
    const config = await backend.freshDatabaseConfig();
    const open = async () => {
      const db = await openDatabase(config, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 4 });
      return { db, store: new MetadataStore(db) };
    };
    a = await open();
    b = await open();
  });
  afterAll(async () => {
    await a?.db.close();
    await b?.db.close();
  });

  it('GetContextByTypeAndName and GetArtifactsByID are one statement each, sent without a transaction frame', async () => {
    const name = uniqueName('run');
    const { typeId } = await a.store.call('putContextType', { contextType: { name, properties: { p: PropertyType.STRING } } });
    await a.store.call('putContexts', { contexts: [{ typeId, name: 'c1', properties: { p: { stringValue: 'x' } }, customProperties: { q: { intValue: 7n } } }] });
    const first = await statementsDuring(a.db, () => a.store.call('getContextByTypeAndName', { typeName: name, contextName: 'c1' }));
    // The first lookup of the type's id, then the context with its type name and properties.
    expect(work(first.sql)).toHaveLength(2);
    const again = await statementsDuring(a.db, () => a.store.call('getContextByTypeAndName', { typeName: name, contextName: 'c1' }));
    // With the type's id remembered, that one statement is the whole call: no BEGIN, no COMMIT.
    expect(again.sql).toHaveLength(1);
    expect(again.result.context).toMatchObject({ name: 'c1', type: name, properties: { p: { stringValue: 'x' } }, customProperties: { q: { intValue: 7n } } });

    const { typeId: artifactType } = await a.store.call('putArtifactType', { artifactType: { name: uniqueName('a'), properties: { n: PropertyType.INT } } });
    const { artifactIds = [] } = await a.store.call('putArtifacts', {
      artifacts: [{ typeId: artifactType, uri: '/a', properties: { n: { intValue: 1n } } }, { typeId: artifactType, uri: '/b' }],
    });
    const byId = await statementsDuring(a.db, () => a.store.call('getArtifactsById', { artifactIds: [artifactIds[1], artifactIds[0], 999_999n] }));
    expect(byId.sql).toHaveLength(1);
    expect(byId.result.artifacts!.map((x) => [x.id, x.uri, x.properties])).toEqual([
      [artifactIds[0], '/a', { n: { intValue: 1n } }],
      [artifactIds[1], '/b', {}],
    ]);
  });

  it('GetArtifactsByContext and GetExecutionsByContext without options are one statement each, members in ascending id', async () => {
    const { typeId: runType } = await a.store.call('putContextType', { contextType: { name: uniqueName('run') } });
    const { typeId: dataType } = await a.store.call('putArtifactType', { artifactType: { name: uniqueName('data'), properties: { n: PropertyType.INT } } });
    const { typeId: taskType } = await a.store.call('putExecutionType', { executionType: { name: uniqueName('task') } });
    const { contextIds: [run, empty] = [] } = await a.store.call('putContexts', { contexts: [{ typeId: runType, name: 'r' }, { typeId: runType, name: 'e' }] });
    const { artifactIds = [] } = await a.store.call('putArtifacts', {
      artifacts: [{ typeId: dataType, uri: '/0', properties: { n: { intValue: 1n } } }, { typeId: dataType, uri: '/1' }, { typeId: dataType, uri: '/outside' }],
    });
    const { executionIds = [] } = await a.store.call('putExecutions', { executions: [{ typeId: taskType }, { typeId: taskType }] });
    await a.store.call('putAttributionsAndAssociations', {
      // Written in descending order: the answer is still ascending.
      attributions: [artifactIds[1], artifactIds[0]].map((artifactId) => ({ artifactId, contextId: run })),
      associations: [executionIds[1], executionIds[0]].map((executionId) => ({ executionId, contextId: run })),
    });
    const artifacts = await statementsDuring(a.db, () => a.store.call('getArtifactsByContext', { contextId: run }));
    expect(artifacts.sql).toHaveLength(1);
    expect(artifacts.result.artifacts!.map((x) => [x.id, x.uri, x.type, x.properties])).toEqual([
      [artifactIds[0], '/0', expect.any(String), { n: { intValue: 1n } }],
      [artifactIds[1], '/1', expect.any(String), {}],
    ]);
    const executions = await statementsDuring(a.db, () => a.store.call('getExecutionsByContext', { contextId: run }));
    expect(executions.sql).toHaveLength(1);
    expect(executions.result.executions!.map((x) => x.id)).toEqual([executionIds[0], executionIds[1]]);
    expect((await a.store.call('getArtifactsByContext', { contextId: empty })).artifacts).toEqual([]);
    expect((await a.store.call('getExecutionsByContext', { contextId: 999_999n })).executions).toEqual([]);
  });

  it('a page of a listing (GetArtifacts, Get*ByContext, Get*ByType with options) is one statement, nodes in page order, the token as before', async () => {
    const { typeId: runType } = await a.store.call('putContextType', { contextType: { name: uniqueName('run') } });
    const dataName = uniqueName('data');
    const { typeId: dataType } = await a.store.call('putArtifactType', { artifactType: { name: dataName, properties: { n: PropertyType.INT } } });
    const emptyType = uniqueName('none');
    await a.store.call('putArtifactType', { artifactType: { name: emptyType } });
    const { contextIds: [run, empty] = [] } = await a.store.call('putContexts', { contexts: [{ typeId: runType, name: 'r' }, { typeId: runType, name: 'e' }] });
    const { artifactIds = [] } = await a.store.call('putArtifacts', {
      artifacts: [0, 1, 2, 3, 4].map((i) => ({ typeId: dataType, uri: `/p${i}`, properties: { n: { intValue: BigInt(i) } }, customProperties: { c: { stringValue: `c${i}` } } })),
    });
    await a.store.call('putAttributionsAndAssociations', { attributions: artifactIds.slice(0, 4).map((artifactId) => ({ artifactId, contextId: run })) });
    // Warm the type ids, so the listing's statement is all the call sends.
    await a.store.call('getArtifactsByType', { typeName: dataName });
    await a.store.call('getArtifactsByType', { typeName: emptyType });
    const desc = { maxResultSize: 2, orderByField: { field: 1, isAsc: false } };

    const first = await statementsDuring(a.db, () => a.store.call('getArtifactsByContext', { contextId: run, options: desc }));
    expect(first.sql).toHaveLength(1);
    expect(first.result.artifacts!.map((x) => [x.id, x.properties, x.customProperties])).toEqual([
      [artifactIds[3], { n: { intValue: 3n } }, { c: { stringValue: 'c3' } }],
      [artifactIds[2], { n: { intValue: 2n } }, { c: { stringValue: 'c2' } }],
    ]);
    expect(first.result.nextPageToken).toBeTruthy();
    const second = await a.store.call('getArtifactsByContext', { contextId: run, options: { ...desc, nextPageToken: first.result.nextPageToken } });
    expect(second.artifacts!.map((x) => x.id)).toEqual([artifactIds[1], artifactIds[0]]);
    expect(second.nextPageToken).toBeUndefined();

    const all = await statementsDuring(a.db, () => a.store.call('getArtifacts', { options: { maxResultSize: 3, orderByField: { field: 3, isAsc: true } } }));
    expect(all.sql).toHaveLength(1);
    expect(all.result.artifacts!).toHaveLength(3);
    const byType = await statementsDuring(a.db, () => a.store.call('getArtifactsByType', { typeName: dataName, options: { maxResultSize: 10 } }));
    expect(byType.sql).toHaveLength(1);
    expect(byType.result.artifacts!.map((x) => x.uri)).toEqual(['/p0', '/p1', '/p2', '/p3', '/p4']);
    // The last page of a type's nodes carries an empty token; a type without nodes none at all.
    expect(byType.result.nextPageToken).toBe('');
    const noNodes = await a.store.call('getArtifactsByType', { typeName: emptyType, options: { maxResultSize: 10 } });
    expect(noNodes).toEqual({ artifacts: [] });
    const noMatch = await a.store.call('getArtifactsByType', { typeName: dataName, options: { maxResultSize: 10, filterQuery: "uri = '/nowhere'" } });
    expect(noMatch).toEqual({ artifacts: [], nextPageToken: '' });

    // Bad options over an empty set answer empty, as upstream; over members they fail.
    const bad = { maxResultSize: 2, filterQuery: 'no_such_field = 1' };
    expect((await a.store.call('getArtifactsByContext', { contextId: empty, options: bad })).artifacts).toEqual([]);
    expect((await a.store.call('getArtifactsByType', { typeName: emptyType, options: bad })).artifacts).toEqual([]);
    await expect(a.store.call('getArtifactsByContext', { contextId: run, options: bad })).rejects.toMatchObject({ code: 3 });
    await expect(a.store.call('getArtifactsByType', { typeName: dataName, options: { maxResultSize: 0 } })).rejects.toMatchObject({ code: 3 });
    await expect(a.store.call('getArtifacts', { options: bad })).rejects.toMatchObject({ code: 3 });
  });

  it('a type another replica creates after a miss is found, and properties it adds are never served stale', async () => {
    const name = uniqueName('late');
    expect((await a.store.call('getContextByTypeAndName', { typeName: name, contextName: 'c' })).context).toBeUndefined();
    const { typeId } = await b.store.call('putContextType', { contextType: { name, properties: { p: PropertyType.STRING } } });
    await b.store.call('putContexts', { contexts: [{ typeId, name: 'c', properties: { p: { stringValue: 'v1' } } }] });
    expect((await a.store.call('getContextByTypeAndName', { typeName: name, contextName: 'c' })).context?.properties).toEqual({ p: { stringValue: 'v1' } });

    // Replica A writes, so it remembers the type's schema as {p}; replica B then evolves the
    // type, and A must accept the new property (a remembered schema only ever lacks properties).
    await a.store.call('putContexts', { contexts: [{ typeId, name: 'c-a', properties: { p: { stringValue: 'a' } } }] });
    await b.store.call('putContextType', { contextType: { name, properties: { p: PropertyType.STRING, q: PropertyType.INT } }, canAddFields: true });
    await expect(a.store.call('putContexts', { contexts: [{ typeId, name: 'c-r', properties: { r: { intValue: 1n } } }] })).rejects.toMatchObject({
      code: 3,
      message: expect.stringMatching(/unknown property: r/),
    });
    await expect(a.store.call('putContexts', { contexts: [{ typeId, name: 'c-q', properties: { q: { stringValue: 'x' } } }] })).rejects.toMatchObject({
      code: 3,
      message: expect.stringMatching(/unmatched property type: q/),
    });
    const [stored] = (await a.store.call('getContextsByType', { typeName: name })).contexts!;
    await a.store.call('putContexts', { contexts: [{ ...stored, properties: { ...stored.properties, q: { intValue: 3n } } }] });
    const read = await b.store.call('getContextByTypeAndName', { typeName: name, contextName: 'c' });
    expect(read.context?.properties).toEqual({ p: { stringValue: 'v1' }, q: { intValue: 3n } });
  });
});
