import { expect, it } from 'vitest';
import {
  ArtifactType_SystemDefinedBaseType as ArtifactBase,
  ExecutionType_SystemDefinedBaseType as ExecutionBase,
  PropertyType,
  type ArtifactType,
} from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode } from '../../../src/errors';
import { expectRejectedWithoutTrace, rowCounts, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

const { INT, DOUBLE, STRING, UNKNOWN, BOOLEAN } = PropertyType;

describeStore('PutArtifactType / PutExecutionType / PutContextType', (ctx) => {
  const store = () => ctx().store;
  const db = () => ctx().db;
  const putArtifactType = (artifactType: ArtifactType, flags: { canAddFields?: boolean; canOmitFields?: boolean; allFieldsMatch?: boolean; canDeleteFields?: boolean } = {}) =>
    store().call('putArtifactType', { artifactType, ...flags });
  const getArtifactType = (typeName: string, typeVersion?: string) => store().call('getArtifactType', { typeName, typeVersion });

  it('creates a type, returns its id and reads back exactly id, name and properties', async () => {
    const name = uniqueName();
    const { typeId } = await putArtifactType({ name, properties: { foo: INT, bar: STRING, baz: DOUBLE } });
    expect(typeId).toBeGreaterThan(9n); // ids 1..9 are the built-in types
    const { artifactType } = await getArtifactType(name);
    expect(artifactType).toEqual({ id: typeId, name, properties: { foo: INT, bar: STRING, baz: DOUBLE } });
  });

  it('shares one id sequence across the three kinds and keeps kinds as separate namespaces', async () => {
    const name = uniqueName();
    const a = await putArtifactType({ name });
    const e = await store().call('putExecutionType', { executionType: { name } });
    const c = await store().call('putContextType', { contextType: { name } });
    expect(new Set([a.typeId, e.typeId, c.typeId]).size).toBe(3);
    expect((await store().call('getContextType', { typeName: name })).contextType).toEqual({ id: c.typeId, name, properties: {} });
  });

  it('stores version, description and external_id when given and reports them', async () => {
    const name = uniqueName();
    const { typeId } = await putArtifactType({ name, version: 'v1', description: '', externalId: uniqueName('ext') });
    const { artifactType } = await getArtifactType(name, 'v1');
    expect(artifactType).toEqual({ id: typeId, name, version: 'v1', description: '', externalId: artifactType!.externalId, properties: {} });
    await expect(getArtifactType(name)).rejects.toMatchObject({ code: StatusCode.NOT_FOUND });
  });

  it('treats an empty version as no version: one type, reported without version, stored NULL', async () => {
    const name = uniqueName();
    const first = await putArtifactType({ name, properties: { p: INT } });
    const second = await putArtifactType({ name, version: '', properties: { p: INT } });
    expect(second.typeId).toBe(first.typeId);
    expect((await getArtifactType(name, '')).artifactType).toEqual({ id: first.typeId, name, properties: { p: INT } });
    const rows = await db().knex(db().table('Type')).select('version').where('name', name);
    expect(rows).toEqual([{ version: null }]);
  });

  it('keeps versions of one name as unrelated types with their own properties', async () => {
    const name = uniqueName();
    const v1 = await putArtifactType({ name, version: 'v1', properties: { a: INT } });
    const v2 = await putArtifactType({ name, version: 'v2', properties: { b: STRING } });
    const none = await putArtifactType({ name, properties: { c: DOUBLE } });
    expect(new Set([v1.typeId, v2.typeId, none.typeId]).size).toBe(3);
    expect((await getArtifactType(name, 'v2')).artifactType?.properties).toEqual({ b: STRING });
    expect((await getArtifactType(name)).artifactType?.properties).toEqual({ c: DOUBLE });
  });

  it('ignores the request id', async () => {
    const name = uniqueName();
    const { typeId } = await putArtifactType({ name, id: 424242n });
    expect(typeId).not.toBe(424242n);
    expect((await putArtifactType({ name, id: 1n })).typeId).toBe(typeId);
  });

  it('rejects a missing or empty name with INVALID_ARGUMENT and writes nothing', async () => {
    for (const call of [() => putArtifactType({ name: '' }), () => putArtifactType({ properties: { a: INT } }), () => store().call('putArtifactType', {})]) {
      const error = await expectRejectedWithoutTrace(db(), call);
      expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
      expect(error.message).toMatch(/No type name is specified/);
      expect(error.message).toMatch(/artifact_type\.name/);
    }
  });

  it('rejects an UNKNOWN property type on create with INVALID_ARGUMENT naming the property', async () => {
    const error = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name: uniqueName(), properties: { ok: INT, broken: UNKNOWN } }));
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.message).toMatch(/Property broken is UNKNOWN/);
  });

  it('rejects a PropertyType number the enum does not declare', async () => {
    const error = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name: uniqueName(), properties: { odd: 17 as PropertyType } }));
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.message).toMatch(/odd.*17/);
  });

  it('answers UNIMPLEMENTED for all_fields_match=false and accepts (ignores) can_delete_fields', async () => {
    const name = uniqueName();
    const error = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name }, { allFieldsMatch: false }));
    expect(error.code).toBe(StatusCode.UNIMPLEMENTED);
    expect(error.message).toBe('Must match all fields.');
    const { typeId } = await putArtifactType({ name, properties: { a: INT } }, { canDeleteFields: true, allFieldsMatch: true });
    // can_delete_fields does not allow omitting: the omit rule still applies.
    const omitted = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name }, { canDeleteFields: true }));
    expect(omitted.code).toBe(StatusCode.ALREADY_EXISTS);
    expect((await getArtifactType(name)).artifactType?.id).toBe(typeId);
  });

  // Contract §4.2 worked cases: [stored, requested, can_add, can_omit, outcome, stored after].
  const cases: [Record<string, PropertyType>, Record<string, PropertyType>, boolean, boolean, 'ok' | 'exists', Record<string, PropertyType>][] = [
    [{ foo: INT }, { foo: INT }, false, false, 'ok', { foo: INT }],
    [{ foo: INT }, { foo: INT }, true, true, 'ok', { foo: INT }],
    [{ foo: INT }, { foo: INT, new: INT }, false, true, 'exists', { foo: INT }],
    [{ foo: INT }, { foo: INT, new: INT }, true, false, 'ok', { foo: INT, new: INT }],
    [{ foo: INT, p1: INT }, { foo: INT }, true, false, 'exists', { foo: INT, p1: INT }],
    [{ foo: INT, p1: INT }, { foo: INT }, false, true, 'ok', { foo: INT, p1: INT }],
    [{ foo: INT, p1: INT }, { foo: INT, p2: DOUBLE }, false, true, 'exists', { foo: INT, p1: INT }],
    [{ foo: INT, p1: INT }, { foo: INT, p2: DOUBLE }, true, false, 'exists', { foo: INT, p1: INT }],
    [{ foo: INT, p1: INT }, { foo: INT, p2: DOUBLE }, true, true, 'ok', { foo: INT, p1: INT, p2: DOUBLE }],
    [{ p: STRING }, { p: INT }, true, true, 'exists', { p: STRING }],
    [{ p1: STRING }, { p2: STRING }, true, true, 'ok', { p1: STRING, p2: STRING }],
  ];
  it.each(cases)('evolves %j with %j (add=%s, omit=%s) -> %s', async (stored, requested, canAddFields, canOmitFields, outcome, after) => {
    for (const version of [undefined, 'v7']) {
      const name = uniqueName();
      const { typeId } = await putArtifactType({ name, version, properties: stored });
      if (outcome === 'ok') {
        expect((await putArtifactType({ name, version, properties: requested }, { canAddFields, canOmitFields })).typeId).toBe(typeId);
      } else {
        const error = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name, version, properties: requested }, { canAddFields, canOmitFields }));
        expect(error.code).toBe(StatusCode.ALREADY_EXISTS);
        expect(error.message).toMatch(/Type already exists with different properties/);
        expect(error.message).toContain(name);
      }
      expect((await getArtifactType(name, version)).artifactType).toEqual({ id: typeId, name, ...(version ? { version } : {}), properties: after });
    }
  });

  it('answers an added UNKNOWN property with INVALID_ARGUMENT when adding is allowed, ALREADY_EXISTS otherwise', async () => {
    const name = uniqueName();
    await putArtifactType({ name, properties: { a: INT } });
    const invalid = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name, properties: { a: INT, b: UNKNOWN } }, { canAddFields: true }));
    expect(invalid.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(invalid.message).toMatch(/Property b is UNKNOWN/);
    const exists = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name, properties: { a: INT, b: UNKNOWN } }));
    expect(exists.code).toBe(StatusCode.ALREADY_EXISTS);
  });

  it('never updates version-independent fields of an existing type: description and struct types stay', async () => {
    const name = uniqueName();
    const inputType = { simple: { name: 'Examples' } };
    const { typeId } = await store().call('putExecutionType', { executionType: { name, description: 'first', inputType } });
    await store().call('putExecutionType', {
      executionType: { name, description: 'second', inputType: { none: {} }, outputType: { any: {} } },
    });
    const { executionType } = await store().call('getExecutionType', { typeName: name });
    expect(executionType?.id).toBe(typeId);
    expect(executionType?.description).toBe('first');
    expect(executionType?.inputType?.simple?.name).toBe('Examples');
    expect(executionType?.outputType).toBeUndefined();
  });

  it('sets an external_id later, keeps it when the request has none or an empty one', async () => {
    const name = uniqueName();
    const externalId = uniqueName('ext');
    const { typeId } = await putArtifactType({ name, properties: { a: INT } });
    await putArtifactType({ name, externalId, properties: { a: INT } }, { canAddFields: true });
    await putArtifactType({ name, properties: { a: INT } });
    await putArtifactType({ name, externalId: '', properties: { a: INT } });
    expect((await getArtifactType(name)).artifactType).toEqual({ id: typeId, name, externalId, properties: { a: INT } });
    const changed = uniqueName('ext');
    await putArtifactType({ name, externalId: changed, properties: { a: INT } });
    expect((await getArtifactType(name)).artifactType?.externalId).toBe(changed);
    // The old external id is free again.
    await putArtifactType({ name: uniqueName(), externalId });
  });

  it('rejects an external_id already used by a type of the same kind or of another kind with ALREADY_EXISTS', async () => {
    const externalId = uniqueName('ext');
    await putArtifactType({ name: uniqueName(), externalId });
    const same = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name: uniqueName(), externalId }));
    expect(same.code).toBe(StatusCode.ALREADY_EXISTS);
    expect(same.message).toMatch(/Conflict of external_id/);
    expect(same.message).toContain(externalId);
    const other = await expectRejectedWithoutTrace(db(), () => store().call('putContextType', { contextType: { name: uniqueName(), externalId } }));
    expect(other.code).toBe(StatusCode.ALREADY_EXISTS);
    // Changing an existing type's external_id to a taken one.
    const name = uniqueName();
    await putArtifactType({ name });
    const update = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name, externalId }));
    expect(update.code).toBe(StatusCode.ALREADY_EXISTS);
    expect(update.message).toContain(externalId);
  });

  it('treats an empty external_id as a real value on create', async () => {
    const existing = await db().knex(db().table('Type')).count({ n: '*' }).where('external_id', '');
    if (Number(existing[0].n) > 0) return; // another test already holds ''
    await putArtifactType({ name: uniqueName(), externalId: '' });
    const error = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name: uniqueName(), externalId: '' }));
    expect(error.code).toBe(StatusCode.ALREADY_EXISTS);
  });

  it('links base_type to the built-in type once, keeps it when omitted, rejects change and UNSET', async () => {
    const name = uniqueName();
    const { typeId } = await putArtifactType({ name, baseType: ArtifactBase.MODEL });
    const parents = await db().knex(db().table('ParentType')).select('type_id', 'parent_type_id').where('type_id', Number(typeId));
    const [model] = await db().knex(db().table('Type')).select('id').where({ name: 'mlmd.Model', type_kind: 1 });
    expect(parents.map((p) => [Number(p.type_id), Number(p.parent_type_id)])).toEqual([[Number(typeId), Number(model.id)]]);
    expect((await getArtifactType(name)).artifactType).toEqual({ id: typeId, name, properties: {}, baseType: ArtifactBase.MODEL });

    expect((await putArtifactType({ name, baseType: ArtifactBase.MODEL })).typeId).toBe(typeId);
    expect((await putArtifactType({ name })).typeId).toBe(typeId);
    expect((await getArtifactType(name)).artifactType?.baseType).toBe(ArtifactBase.MODEL);

    const change = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name, baseType: ArtifactBase.DATASET }));
    expect(change.code).toBe(StatusCode.UNIMPLEMENTED);
    expect(change.message).toBe('base_type update is not supported yet');
    const unset = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name, baseType: ArtifactBase.UNSET }));
    expect(unset.code).toBe(StatusCode.UNIMPLEMENTED);
    expect(unset.message).toBe('base_type deletion is not supported yet');
    const unsetNew = await expectRejectedWithoutTrace(db(), () => putArtifactType({ name: uniqueName(), baseType: ArtifactBase.UNSET }));
    expect(unsetNew.code).toBe(StatusCode.UNIMPLEMENTED);
  });

  it('links execution base types and rejects base_type UNSET on context types', async () => {
    const name = uniqueName();
    const { typeId } = await store().call('putExecutionType', { executionType: { name, baseType: ExecutionBase.DEPLOY } });
    expect((await store().call('getExecutionType', { typeName: name })).executionType).toEqual({
      id: typeId,
      name,
      properties: {},
      baseType: ExecutionBase.DEPLOY,
    });
    const error = await expectRejectedWithoutTrace(db(), () => store().call('putContextType', { contextType: { name: uniqueName(), baseType: 0 } }));
    expect(error.code).toBe(StatusCode.UNIMPLEMENTED);
    expect(error.message).toBe('base_type deletion is not supported yet');
  });

  it('ignores a base_type number its enum does not declare, as a proto2 parser would', async () => {
    const name = uniqueName();
    const { typeId } = await putArtifactType({ name, baseType: 42 as ArtifactBase });
    expect((await getArtifactType(name)).artifactType).toEqual({ id: typeId, name, properties: {} });
  });

  it('matches names as the database compares them: case-insensitively on MySQL/MariaDB, exactly elsewhere', async () => {
    const name = uniqueName('CaseName');
    const { typeId } = await putArtifactType({ name, version: 'V1' });
    const variant = await putArtifactType({ name: name.toLowerCase(), version: 'v1' });
    const batch = await store().call('putTypes', { artifactTypes: [{ name: `${name}_B` }, { name: `${name}_b`.toLowerCase() }] });
    const lookup = await getArtifactType(name.toUpperCase(), 'v1').then(
      (r) => r.artifactType?.id,
      () => undefined,
    );
    if (ctx().backend.dialect === 'mysql') {
      expect(variant.typeId).toBe(typeId);
      expect(batch.artifactTypeIds![1]).toBe(batch.artifactTypeIds![0]);
      expect(lookup).toBe(typeId);
    } else {
      expect(variant.typeId).not.toBe(typeId);
      expect(batch.artifactTypeIds![1]).not.toBe(batch.artifactTypeIds![0]);
      expect(lookup).toBeUndefined();
    }
  });

  it('upserts a built-in type like any other (properties can be added)', async () => {
    const before = await rowCounts(db());
    const { artifactType } = await getArtifactType('mlmd.Statistics');
    const { typeId } = await putArtifactType({ name: 'mlmd.Statistics', properties: { extra: BOOLEAN } }, { canAddFields: true });
    expect(typeId).toBe(artifactType!.id);
    expect((await rowCounts(db())).Type).toBe(before.Type);
    expect((await getArtifactType('mlmd.Statistics')).artifactType?.properties).toEqual({ extra: BOOLEAN });
  });
});
