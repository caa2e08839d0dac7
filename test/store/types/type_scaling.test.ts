import { expect, it } from 'vitest';
import { ArtifactType_SystemDefinedBaseType as ArtifactBase, PropertyType, type ArtifactType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { countStatements, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

const { INT, STRING, DOUBLE } = PropertyType;

describeStore('type RPC statement counts', (ctx) => {
  const store = () => ctx().store;
  const db = () => ctx().db;
  const batch = (n: number, extra: Partial<ArtifactType> = {}): ArtifactType[] =>
    Array.from({ length: n }, () => ({ name: uniqueName('scale'), externalId: uniqueName('ext'), baseType: ArtifactBase.DATASET, properties: { a: INT, b: STRING, c: DOUBLE }, ...extra }));

  it('PutTypes issues as many statements for 1,000 new types as for 1', async () => {
    const one = await countStatements(db(), () => store().call('putTypes', { artifactTypes: batch(1) }));
    const many = await countStatements(db(), () => store().call('putTypes', { artifactTypes: batch(1_000) }));
    expect(many.result.artifactTypeIds).toHaveLength(1_000);
    expect(new Set(many.result.artifactTypeIds).size).toBe(1_000);
    expect(many.statements).toBe(one.statements);
  });

  it('PutTypes issues as many statements to evolve 1,000 stored types as 1 (new properties, external ids)', async () => {
    const small = batch(1);
    const large = batch(1_000);
    await store().call('putTypes', { artifactTypes: [...small, ...large] });
    const evolve = (types: ArtifactType[]) =>
      types.map((t) => ({ ...t, externalId: uniqueName('ext2'), properties: { ...t.properties, d: PropertyType.BOOLEAN } }));
    const one = await countStatements(db(), () => store().call('putTypes', { artifactTypes: evolve(small), canAddFields: true }));
    const many = await countStatements(db(), () => store().call('putTypes', { artifactTypes: evolve(large), canAddFields: true }));
    expect(many.statements).toBe(one.statements);
    const { artifactTypes } = await store().call('getArtifactTypesById', { typeIds: many.result.artifactTypeIds });
    expect(artifactTypes!.every((t) => t.properties?.d === PropertyType.BOOLEAN && t.externalId?.startsWith('ext2'))).toBe(true);
  });

  it('Get*TypesByID and Get*TypesByExternalIds issue as many statements for 1,000 ids as for 1', async () => {
    const types = batch(1_000);
    const { artifactTypeIds } = await store().call('putTypes', { artifactTypes: types });
    const one = await countStatements(db(), () => store().call('getArtifactTypesById', { typeIds: artifactTypeIds!.slice(0, 1) }));
    const many = await countStatements(db(), () => store().call('getArtifactTypesById', { typeIds: artifactTypeIds }));
    expect(many.result.artifactTypes!.map((t) => t.id)).toEqual(artifactTypeIds);
    expect(many.result.artifactTypes!.every((t) => t.baseType === ArtifactBase.DATASET && Object.keys(t.properties!).length === 3)).toBe(true);
    expect(many.statements).toBe(one.statements);

    const ext = types.map((t) => t.externalId!);
    const oneExt = await countStatements(db(), () => store().call('getArtifactTypesByExternalIds', { externalIds: ext.slice(0, 1) }));
    const manyExt = await countStatements(db(), () => store().call('getArtifactTypesByExternalIds', { externalIds: ext }));
    expect(manyExt.result.artifactTypes).toHaveLength(1_000);
    expect(manyExt.statements).toBe(oneExt.statements);
  });

  it('Get*Types issues a constant number of statements however many types exist', async () => {
    const before = await countStatements(db(), () => store().call('getArtifactTypes', {}));
    await store().call('putTypes', { artifactTypes: batch(500) });
    const after = await countStatements(db(), () => store().call('getArtifactTypes', {}));
    expect(after.result.artifactTypes!.length).toBeGreaterThan(before.result.artifactTypes!.length);
    expect(after.statements).toBe(before.statements);
  });
});
