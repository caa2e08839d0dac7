import { expect, it } from 'vitest';
import { ArtifactType_SystemDefinedBaseType as ArtifactBase, PropertyType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode } from '../../../src/errors';
import { expectRejectedWithoutTrace, rowCounts, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

const { INT, STRING, UNKNOWN } = PropertyType;

describeStore('PutTypes', (ctx) => {
  const store = () => ctx().store;
  const db = () => ctx().db;

  it('answers an empty request with empty id lists', async () => {
    const before = await rowCounts(db());
    const response = await store().call('putTypes', {});
    expect(response).toEqual({ artifactTypeIds: [], executionTypeIds: [], contextTypeIds: [] });
    expect(await rowCounts(db())).toEqual(before);
  });

  it('returns ids index-aligned per kind, processing artifact, then execution, then context types', async () => {
    const [a1, a2, e1, c1] = [uniqueName(), uniqueName(), uniqueName(), uniqueName()];
    const response = await store().call('putTypes', {
      contextTypes: [{ name: c1 }],
      executionTypes: [{ name: e1, properties: { x: STRING } }],
      artifactTypes: [{ name: a1 }, { name: a2, properties: { y: INT } }],
    });
    const ids = [...response.artifactTypeIds!, ...response.executionTypeIds!, ...response.contextTypeIds!];
    // Created in processing order, so the ids ascend in that order.
    expect([...ids].sort((x, y) => Number(x - y))).toEqual(ids);
    expect((await store().call('getArtifactType', { typeName: a2 })).artifactType?.id).toBe(response.artifactTypeIds![1]);
    expect((await store().call('getExecutionType', { typeName: e1 })).executionType?.properties).toEqual({ x: STRING });
    expect((await store().call('getContextType', { typeName: c1 })).contextType?.id).toBe(response.contextTypeIds![0]);
  });

  it('lets later entries see earlier ones: identical entries share an id, extra properties need can_add_fields', async () => {
    const name = uniqueName();
    const same = await store().call('putTypes', { artifactTypes: [{ name, properties: { a: INT } }, { name, properties: { a: INT } }] });
    expect(same.artifactTypeIds![0]).toBe(same.artifactTypeIds![1]);

    const other = uniqueName();
    const error = await expectRejectedWithoutTrace(db(), () =>
      store().call('putTypes', { artifactTypes: [{ name: other, properties: { a: INT } }, { name: other, properties: { a: INT, b: INT } }] }),
    );
    expect(error.code).toBe(StatusCode.ALREADY_EXISTS);
    expect(error.message).toContain('artifact_types[1]');

    const added = await store().call('putTypes', {
      artifactTypes: [{ name: other, properties: { a: INT } }, { name: other, properties: { a: INT, b: INT } }],
      canAddFields: true,
    });
    expect(added.artifactTypeIds![0]).toBe(added.artifactTypeIds![1]);
    expect((await store().call('getArtifactType', { typeName: other })).artifactType?.properties).toEqual({ a: INT, b: INT });
  });

  it('keeps a base_type link set by an earlier entry when a later entry omits it (PutTypesInsertTypeLink)', async () => {
    const name = uniqueName();
    const { artifactTypeIds } = await store().call('putTypes', { artifactTypes: [{ name, baseType: ArtifactBase.MODEL }, { name }] });
    expect(artifactTypeIds![0]).toBe(artifactTypeIds![1]);
    expect((await store().call('getArtifactType', { typeName: name })).artifactType?.baseType).toBe(ArtifactBase.MODEL);
    const links = await db().knex(db().table('ParentType')).count({ n: '*' }).where('type_id', Number(artifactTypeIds![0]));
    expect(Number(links[0].n)).toBe(1);
  });

  it('rejects the whole batch when its last element is invalid, writing nothing', async () => {
    const existing = uniqueName();
    await store().call('putArtifactType', { artifactType: { name: existing, properties: { a: INT } } });
    const cases = [
      { entry: { name: '' }, code: StatusCode.INVALID_ARGUMENT, field: 'context_types[1].name' },
      { entry: { name: uniqueName(), properties: { bad: UNKNOWN } }, code: StatusCode.INVALID_ARGUMENT, field: 'bad' },
      { entry: { name: uniqueName(), baseType: 0 }, code: StatusCode.UNIMPLEMENTED, field: 'base_type' },
    ];
    for (const { entry, code, field } of cases) {
      const error = await expectRejectedWithoutTrace(db(), () =>
        store().call('putTypes', {
          artifactTypes: [{ name: uniqueName(), properties: { a: INT }, baseType: ArtifactBase.DATASET }, { name: existing, properties: { a: INT, new: STRING } }],
          executionTypes: [{ name: uniqueName(), externalId: uniqueName('ext'), inputType: { any: {} } }],
          contextTypes: [{ name: uniqueName() }, entry],
          canAddFields: true,
        }),
      );
      expect(error.code).toBe(code);
      expect(error.message).toContain(field);
    }
    // The added property of the existing type was rolled back too.
    expect((await store().call('getArtifactType', { typeName: existing })).artifactType?.properties).toEqual({ a: INT });
  });

  it('rejects two new types of one request claiming the same external_id', async () => {
    const externalId = uniqueName('ext');
    const error = await expectRejectedWithoutTrace(db(), () =>
      store().call('putTypes', { artifactTypes: [{ name: uniqueName(), externalId }], contextTypes: [{ name: uniqueName(), externalId }] }),
    );
    expect(error.code).toBe(StatusCode.ALREADY_EXISTS);
    expect(error.message).toContain(externalId);
  });

  it('answers UNIMPLEMENTED for all_fields_match=false before doing anything', async () => {
    const error = await expectRejectedWithoutTrace(db(), () => store().call('putTypes', { artifactTypes: [{ name: uniqueName() }], allFieldsMatch: false }));
    expect(error.code).toBe(StatusCode.UNIMPLEMENTED);
    const empty = await expectRejectedWithoutTrace(db(), () => store().call('putTypes', { allFieldsMatch: false }));
    expect(empty.code).toBe(StatusCode.UNIMPLEMENTED);
  });
});
