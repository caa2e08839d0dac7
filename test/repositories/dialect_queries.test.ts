import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import { detectInsertIdStrategy, insertReturningIds, type InsertIdStrategy } from '../../src/database/insert_returning_ids';
import { Event_Type } from '../../src/generated/ml_metadata/proto/metadata_store';
import { eventPathSteps, insertEvents, type StoredStep } from '../../src/repositories/event_repository';
import { existingNodeIds } from '../../src/repositories/node_existence';
import { deleteProperties, loadProperties } from '../../src/repositories/property_repository';
import { MetadataStore } from '../../src/store/metadata_store';
import { describeEachBackend } from '../support/backends';
import { MLMD_MIGRATIONS } from '../../migrations';

/**
 * The dialect-sensitive repository functions, tested at the query layer on every backend, so a
 * dialect regression fails here rather than three layers up in an RPC.
 */
describeEachBackend('dialect-sensitive repository queries', (backend) => {
  let db: Database;
  let store: MetadataStore;
  let artifactTypeId: bigint;
  let executionTypeId: bigint;
  beforeAll(async () => {
    db = await openDatabase(await backend.freshDatabaseConfig(), {
      schema: { enableUpgrade: false, downgradeToVersion: -1 },
      migrations: MLMD_MIGRATIONS,
      poolMax: 2,
    });
    store = new MetadataStore(db);
    artifactTypeId = (await store.call('putArtifactType', { artifactType: { name: 'q_artifact' } })).typeId!;
    executionTypeId = (await store.call('putExecutionType', { executionType: { name: 'q_execution' } })).typeId!;
  });
  afterAll(async () => {
    await db?.close();
  });

  const newArtifacts = async (n: number, extra: object = {}) =>
    (await store.call('putArtifacts', { artifacts: Array.from({ length: n }, () => ({ typeId: artifactTypeId, ...extra })) })).artifactIds!.map(Number);
  const newExecution = async () => Number((await store.call('putExecutions', { executions: [{ typeId: executionTypeId }] })).executionIds![0]);

  it('eventPathSteps returns each event\'s steps in insertion order, never sorted by value', async () => {
    const artifacts = await newArtifacts(3);
    const execution = await newExecution();
    const paths: StoredStep[][] = [
      [{ kind: 'key', key: 'z' }, { kind: 'index', index: 3n }, { kind: 'key', key: 'a' }, { kind: 'index', index: -1n }],
      [{ kind: 'index', index: 9_007_199_254_740_993n }, { kind: 'index', index: 0n }, { kind: 'key', key: 'é' }],
      Array.from({ length: 40 }, (_, i): StoredStep => (i % 2 ? { kind: 'key', key: `k${39 - i}` } : { kind: 'index', index: BigInt(39 - i) })),
    ];
    await db.transaction((tx) =>
      insertEvents(
        tx,
        artifacts.map((artifactId, i) => ({ artifactId, executionId: execution, type: Event_Type.INPUT, millisecondsSinceEpoch: 1n, steps: paths[i] })),
      ),
    );
    const ids = await db.transaction(async (tx) =>
      ((await tx.knex(tx.table('Event')).select('id', 'artifact_id').whereIn('artifact_id', artifacts)) as { id: number; artifact_id: number }[]).sort(
        (a, b) => artifacts.indexOf(Number(a.artifact_id)) - artifacts.indexOf(Number(b.artifact_id)),
      ),
    );
    const steps = await db.transaction((tx) => eventPathSteps(tx, ids.map((r) => Number(r.id)).reverse()), { readOnly: true });
    ids.forEach((row, i) => expect(steps.get(Number(row.id))).toEqual(paths[i]));
  });

  it('insertReturningIds returns the new ids in row order with every strategy this backend supports', async () => {
    const strategies: InsertIdStrategy[] =
      backend.dialect === 'mysql' ? [await detectInsertIdStrategy(db.knex, 'mysql'), 'row_by_row'] : ['returning'];
    for (const strategy of new Set(strategies)) {
      const names = Array.from({ length: 700 }, (_, i) => `${strategy}_${i}_${Date.now()}`);
      const ids = await db.transaction((tx) =>
        insertReturningIds(
          tx.knex,
          strategy,
          tx.table('Type'),
          names.map((name) => ({ name, type_kind: 1 })),
        ),
      );
      const stored = await db.transaction(async (tx) =>
        (await tx.knex(tx.table('Type')).select('id', 'name').whereIn('id', ids)) as { id: number; name: string }[],
      );
      const nameOf = new Map(stored.map((r) => [Number(r.id), r.name]));
      expect({ strategy, names: ids.map((id) => nameOf.get(id)) }).toEqual({ strategy, names });
    }
  });

  it('deleteProperties removes exactly the keyed rows, non-ASCII names included, and keeps a same-named property of the other flag', async () => {
    await store.call('putArtifactType', {
      artifactType: { name: 'q_artifact', properties: { 'größe': 3, plain: 3 } },
      canAddFields: true,
    });
    const [a, b] = await newArtifacts(2, {
      properties: { 'größe': { stringValue: 'typed' }, plain: { stringValue: 'typed' } },
      customProperties: { 'größe': { stringValue: 'custom' }, 'naïve': { intValue: 1n } },
    });
    await db.transaction((tx) =>
      deleteProperties(tx, 'artifact', [
        { nodeId: a, name: 'größe', isCustom: false },
        { nodeId: a, name: 'naïve', isCustom: true },
        { nodeId: b, name: 'plain', isCustom: false },
      ]),
    );
    const left = await db.transaction((tx) => loadProperties(tx, 'artifact', [a, b]));
    const keys = left.map((p) => `${p.nodeId === a ? 'a' : 'b'}:${p.isCustom ? 'custom' : 'typed'}:${p.name}`).sort();
    expect(keys).toEqual(['a:custom:größe', 'a:typed:plain', 'b:custom:größe', 'b:custom:naïve', 'b:typed:größe'].sort());
  });

  it('existingNodeIds answers for all three node tables in one statement', async () => {
    const [artifact] = await newArtifacts(1);
    const execution = await newExecution();
    const found = await db.transaction((tx) =>
      existingNodeIds(tx, { Artifact: [artifact, 987_654_321], Execution: [execution, artifact + 1_000_000], Context: [1_000_000] }),
    );
    expect({ a: [...found.Artifact], e: [...found.Execution], c: [...found.Context] }).toEqual({ a: [artifact], e: [execution], c: [] });
  });
});
