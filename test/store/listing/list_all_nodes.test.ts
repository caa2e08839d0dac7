import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/database';
import { ListOperationOptions_OrderByField_Field as Field } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStore } from '../../../src/store/metadata_store';

let db: Database;
let store: MetadataStore;
beforeAll(async () => {
  db = await openDatabase({ kind: 'sqlite', filename: ':memory:' }, { schema: { enableUpgrade: false, downgradeToVersion: -1 } });
  store = new MetadataStore(db);
  await db.knex('Type').insert([
    { id: 10, name: 'Dataset', type_kind: 1 },
    { id: 11, name: 'Trainer', type_kind: 0 },
    { id: 12, name: 'Run', type_kind: 2 },
  ]);
  await store.call('putArtifacts', { artifacts: Array.from({ length: 25 }, (_, i) => ({ typeId: 10n, uri: `/d/${i}` })) });
  await store.call('putExecutions', { executions: [{ typeId: 11n }, { typeId: 11n }] });
  await store.call('putContexts', { contexts: [{ typeId: 12n, name: 'r1' }] });
});
afterAll(() => db.close());

describe('GetArtifacts / GetExecutions / GetContexts', () => {
  it('returns every node, with its type name, when no options are sent', async () => {
    const { artifacts, nextPageToken } = await store.call('getArtifacts', {});
    expect(artifacts).toHaveLength(25);
    expect(artifacts?.[0]).toMatchObject({ id: 1n, type: 'Dataset', uri: '/d/0' });
    expect(nextPageToken).toBeUndefined();
    expect((await store.call('getExecutions', {})).executions).toHaveLength(2);
    expect((await store.call('getContexts', {})).contexts?.map((c) => c.name)).toEqual(['r1']);
  });

  it('pages under options, the token present only while more remain', async () => {
    const first = await store.call('getArtifacts', { options: { maxResultSize: 10, orderByField: { field: Field.ID, isAsc: false } } });
    expect(first.artifacts?.map((a) => a.id)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(25 - i)));
    const seen = [...(first.artifacts ?? [])];
    let token = first.nextPageToken;
    while (token) {
      const next = await store.call('getArtifacts', { options: { maxResultSize: 10, orderByField: { isAsc: false }, nextPageToken: token } });
      seen.push(...(next.artifacts ?? []));
      token = next.nextPageToken;
    }
    expect(seen.map((a) => Number(a.id))).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
  });

  it('answers an empty page, not NOT_FOUND, when nothing is stored', async () => {
    const empty = await openDatabase({ kind: 'sqlite', filename: ':memory:' }, { schema: { enableUpgrade: false, downgradeToVersion: -1 } });
    const response = await new MetadataStore(empty).call('getContexts', { options: {} });
    expect(response.contexts).toEqual([]);
    expect(response.nextPageToken).toBeUndefined();
    await empty.close();
  });
});
