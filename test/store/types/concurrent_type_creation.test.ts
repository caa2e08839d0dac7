import { expect, it } from 'vitest';
import { PropertyType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

describeStore('concurrent type creation', (ctx) => {
  const store = () => ctx().store;
  const db = () => ctx().db;
  const rowsNamed = async (name: string) =>
    Number((await db().knex(db().table('Type')).count({ n: '*' }).where('name', name))[0].n);

  it('16 simultaneous PutArtifactType calls for one new name create ONE type and all get its id', async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniqueName('race');
      const responses = await Promise.all(
        Array.from({ length: 16 }, () => store().call('putArtifactType', { artifactType: { name, properties: { p: PropertyType.INT } } })),
      );
      expect(await rowsNamed(name)).toBe(1);
      expect(new Set(responses.map((r) => r.typeId)).size).toBe(1);
      const props = await db().knex(db().table('TypeProperty')).count({ n: '*' }).where('type_id', Number(responses[0].typeId));
      expect(Number(props[0].n)).toBe(1);
    }
  });

  it('simultaneous PutTypes naming the same new types in opposite orders create each type once', async () => {
    const [a, b, c] = [uniqueName('race'), uniqueName('race'), uniqueName('race')];
    const orders = [[a, b, c], [c, b, a], [b, a, c], [c, a, b]];
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        store().call('putTypes', {
          artifactTypes: orders[i % 4].map((name) => ({ name })),
          contextTypes: orders[(i + 1) % 4].map((name) => ({ name })),
        }),
      ),
    );
    for (const name of [a, b, c]) expect(await rowsNamed(name)).toBe(2); // one artifact type, one context type
    const artifactIds = new Set(responses.flatMap((r) => r.artifactTypeIds!));
    const contextIds = new Set(responses.flatMap((r) => r.contextTypeIds!));
    expect(artifactIds.size).toBe(3);
    expect(contextIds.size).toBe(3);
  });

  it('simultaneous property additions to one type add each property once', async () => {
    const name = uniqueName('race');
    await store().call('putArtifactType', { artifactType: { name, properties: { base: PropertyType.INT } } });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store().call('putArtifactType', {
          artifactType: { name, properties: { base: PropertyType.INT, [`p${i % 3}`]: PropertyType.STRING } },
          canAddFields: true,
          canOmitFields: true,
        }),
      ),
    );
    const { artifactType } = await store().call('getArtifactType', { typeName: name });
    expect(artifactType?.properties).toEqual({ base: PropertyType.INT, p0: PropertyType.STRING, p1: PropertyType.STRING, p2: PropertyType.STRING });
  });
});
