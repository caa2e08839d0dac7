import { expect, it } from 'vitest';
import { PropertyType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { statementsDuring, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

/** The type lock's statements: MLMDEnv row lock on MySQL, advisory locks on PostgreSQL. */
const isTypeLock = (sql: string) => /for update|pg_advisory/i.test(sql);
const isWrite = (sql: string) => /^\s*(insert|update|delete)\b/i.test(sql);

describeStore('re-registering stored types (every TFX/Kubeflow launch)', (ctx) => {
  it('takes no lock and writes nothing when the types are unchanged, and locks once something changes', async () => {
    const name = uniqueName('launch');
    const request = {
      artifactTypes: [{ name, properties: { a: PropertyType.INT } }],
      executionTypes: [{ name, properties: { s: PropertyType.STRING } }],
      contextTypes: [{ name }],
      canAddFields: true,
    };
    const created = await statementsDuring(ctx().db, () => ctx().store.call('putTypes', request));
    expect(created.sql.filter(isWrite).length).toBeGreaterThan(0);
    if (ctx().db.dialect !== 'sqlite') expect(created.sql.filter(isTypeLock)).toHaveLength(1);

    const again = await statementsDuring(ctx().db, () => ctx().store.call('putTypes', request));
    expect(again.result).toEqual(created.result);
    expect(again.sql.filter(isTypeLock)).toEqual([]);
    expect(again.sql.filter(isWrite)).toEqual([]);
    // Nor a transaction: its reads run unframed (Tx.unframed) on MySQL and PostgreSQL; SQLite
    // keeps them under the write lock its BEGIN takes.
    const isFrame = (sql: string) => /^\s*(begin|commit|start transaction|set transaction)\b/i.test(sql);
    if (ctx().db.dialect !== 'sqlite') expect(again.sql.filter(isFrame)).toEqual([]);

    // A new property is a change: it takes the lock and writes.
    const evolved = await statementsDuring(ctx().db, () =>
      ctx().store.call('putTypes', { ...request, artifactTypes: [{ name, properties: { a: PropertyType.INT, b: PropertyType.DOUBLE } }] }),
    );
    expect(evolved.result).toEqual(created.result);
    if (ctx().db.dialect !== 'sqlite') expect(evolved.sql.filter(isTypeLock)).toHaveLength(1);
    expect(evolved.sql.filter(isWrite)).toHaveLength(1);
    const [stored] = (await ctx().store.call('getArtifactTypesById', { typeIds: [created.result.artifactTypeIds![0]] })).artifactTypes!;
    expect(stored.properties).toEqual({ a: PropertyType.INT, b: PropertyType.DOUBLE });
  });

  it('an incompatible re-registration still fails with ALREADY_EXISTS and changes nothing', async () => {
    const name = uniqueName('launch');
    await ctx().store.call('putArtifactType', { artifactType: { name, properties: { a: PropertyType.INT } } });
    await expect(ctx().store.call('putArtifactType', { artifactType: { name, properties: { a: PropertyType.STRING } } })).rejects.toMatchObject({
      code: 6,
    });
  });
});
