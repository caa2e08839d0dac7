import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import { Event_Type } from '../../src/generated/ml_metadata/proto/metadata_store';
import { NO_OP_OBSERVER } from '../../src/database/observer';
import { MetadataStore } from '../../src/store/metadata_store';
import { MLMD_MIGRATIONS } from '../../migrations';

let db: Database;
let store: MetadataStore;
const counts = new Map<string, number>();
beforeAll(async () => {
  const observer = { ...NO_OP_OBSERVER, rowsWritten: (kind: string, n: number) => counts.set(kind, (counts.get(kind) ?? 0) + n) };
  db = await openDatabase({ kind: 'sqlite', filename: ':memory:' }, { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS }, observer);
  store = new MetadataStore(db);
});
afterAll(async () => {
  await db.close();
});

it('counts the rows each committed write RPC stored, per entity kind, and nothing for a rejected one', async () => {
  const typeId = (await store.call('putArtifactType', { artifactType: { name: 'D' } })).typeId!;
  const executionTypeId = (await store.call('putExecutionType', { executionType: { name: 'X' } })).typeId!;
  const contextTypeId = (await store.call('putContextType', { contextType: { name: 'C' } })).typeId!;
  const [a1, a2] = (await store.call('putArtifacts', { artifacts: [{ typeId }, { typeId }] })).artifactIds!;
  const [x] = (await store.call('putExecutions', { executions: [{ typeId: executionTypeId }] })).executionIds!;
  const [c] = (await store.call('putContexts', { contexts: [{ typeId: contextTypeId, name: 'c' }] })).contextIds!;
  await store.call('putEvents', { events: [{ artifactId: a1, executionId: x, type: Event_Type.INPUT }] });
  await store.call('putAttributionsAndAssociations', { attributions: [{ artifactId: a2, contextId: c }], associations: [{ executionId: x, contextId: c }] });
  await expect(store.call('putArtifacts', { artifacts: [{ typeId }, { typeId: 999_999n }] })).rejects.toThrow();
  await store.call('getArtifacts', {});
  expect(Object.fromEntries(counts)).toEqual({ type: 3, artifact: 2, execution: 1, context: 1, event: 1, attribution: 1, association: 1 });
});
