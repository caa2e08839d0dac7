import { beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../../src/database';
import { ListOperationOptions_OrderByField_Field as Field } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { MetadataStore } from '../../../src/store/metadata_store';
import { insertType } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { MLMD_MIGRATIONS } from '../../../migrations';

describeStore('GetArtifacts / GetExecutions / GetContexts', (ctx) => {
  beforeAll(async () => {
    const { db } = ctx();
    const dataset = await insertType(db, 'artifact', {}, { name: 'Dataset' });
    const trainer = await insertType(db, 'execution', {}, { name: 'Trainer' });
    const run = await insertType(db, 'context', {}, { name: 'Run' });
    await ctx().call('putArtifacts', { artifacts: Array.from({ length: 25 }, (_, i) => ({ typeId: dataset.id, uri: `/d/${i}` })) });
    await ctx().call('putExecutions', { executions: [{ typeId: trainer.id }, { typeId: trainer.id }] });
    await ctx().call('putContexts', { contexts: [{ typeId: run.id, name: 'r1' }] });
  });

  it('returns every node, with its type name, when no options are sent', async () => {
    const { artifacts, nextPageToken } = await ctx().call('getArtifacts', {});
    expect(artifacts).toHaveLength(25);
    expect(artifacts?.[0]).toMatchObject({ id: 1n, type: 'Dataset', uri: '/d/0' });
    expect(nextPageToken).toBeUndefined();
    expect((await ctx().call('getExecutions', {})).executions).toHaveLength(2);
    expect((await ctx().call('getContexts', {})).contexts?.map((c) => c.name)).toEqual(['r1']);
  });

  it('pages under options, the token present only while more remain', async () => {
    const first = await ctx().call('getArtifacts', { options: { maxResultSize: 10, orderByField: { field: Field.ID, isAsc: false } } });
    expect(first.artifacts?.map((a) => a.id)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(25 - i)));
    const seen = [...(first.artifacts ?? [])];
    let token = first.nextPageToken;
    while (token) {
      const next = await ctx().call('getArtifacts', { options: { maxResultSize: 10, orderByField: { isAsc: false }, nextPageToken: token } });
      seen.push(...(next.artifacts ?? []));
      token = next.nextPageToken;
    }
    expect(seen.map((a) => Number(a.id))).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
  });

  it('answers an empty page, not NOT_FOUND, when nothing is stored', async () => {
    const empty = await openDatabase(await ctx().backend.freshDatabaseConfig(), { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS });
    const response = await new MetadataStore(empty).call('getContexts', { options: {} });
    expect(response.contexts).toEqual([]);
    expect(response.nextPageToken).toBeUndefined();
    await empty.close();
  });
});
