import { expect, it } from 'vitest';
import {
  ArtifactType_SystemDefinedBaseType as ArtifactBase,
  ExecutionType_SystemDefinedBaseType as ExecutionBase,
  PropertyType,
} from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode } from '../../../src/errors';
import { expectRejectedWithoutTrace, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

const { INT, STRING } = PropertyType;
const SIMPLE_ARTIFACT_TYPES = ['mlmd.Dataset', 'mlmd.Model', 'mlmd.Metrics', 'mlmd.Statistics'];
const SIMPLE_EXECUTION_TYPES = ['mlmd.Train', 'mlmd.Transform', 'mlmd.Process', 'mlmd.Evaluate', 'mlmd.Deploy'];

describeStore('type reads', (ctx) => {
  const store = () => ctx().store;
  const db = () => ctx().db;

  it('GetArtifactType answers NOT_FOUND for an unknown name or version, naming them', async () => {
    const name = uniqueName();
    await store().call('putArtifactType', { artifactType: { name, version: 'v1' } });
    for (const [typeName, typeVersion] of [[uniqueName(), undefined], [name, undefined], [name, 'v2'], ['', undefined]] as const) {
      const error = await expectRejectedWithoutTrace(db(), () => store().call('getArtifactType', { typeName, typeVersion }));
      expect(error.code).toBe(StatusCode.NOT_FOUND);
      expect(error.message).toContain(`"${typeName}"`);
    }
    // A context type of that name is not an artifact type.
    const other = uniqueName();
    await store().call('putContextType', { contextType: { name: other } });
    expect((await expectRejectedWithoutTrace(db(), () => store().call('getArtifactType', { typeName: other }))).code).toBe(StatusCode.NOT_FOUND);
  });

  it('GetArtifactType shows built-in types, with their ids 1..9 on a fresh database', async () => {
    const { artifactType } = await store().call('getArtifactType', { typeName: 'mlmd.Model' });
    expect(artifactType).toEqual({ id: 2n, name: 'mlmd.Model', properties: expect.any(Object) });
    const { executionType } = await store().call('getExecutionType', { typeName: 'mlmd.Deploy' });
    expect(executionType?.id).toBe(9n);
  });

  it('Get*Types list every type of the kind except the built-in ones, with base_type but without external_id', async () => {
    const a = uniqueName();
    const e = uniqueName();
    const c = uniqueName();
    const { artifactTypeIds, executionTypeIds, contextTypeIds } = await store().call('putTypes', {
      artifactTypes: [{ name: a, externalId: uniqueName('ext'), description: 'd', baseType: ArtifactBase.METRICS, properties: { p: INT } }],
      executionTypes: [{ name: e, version: 'v', externalId: uniqueName('ext'), baseType: ExecutionBase.TRAIN, inputType: { none: {} } }],
      contextTypes: [{ name: c, externalId: uniqueName('ext'), properties: { q: STRING } }],
    });
    const { artifactTypes } = await store().call('getArtifactTypes', {});
    expect(artifactTypes!.map((t) => t.name)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^mlmd\./)]));
    expect(artifactTypes!.find((t) => t.name === a)).toEqual({ id: artifactTypeIds![0], name: a, description: 'd', properties: { p: INT }, baseType: ArtifactBase.METRICS });
    const { executionTypes } = await store().call('getExecutionTypes', {});
    expect(executionTypes!.some((t) => SIMPLE_EXECUTION_TYPES.includes(t.name!))).toBe(false);
    const execution = executionTypes!.find((t) => t.name === e)!;
    expect(execution.id).toBe(executionTypeIds![0]);
    expect(execution.version).toBe('v');
    expect(execution.baseType).toBe(ExecutionBase.TRAIN);
    expect(execution.inputType?.none).toBeDefined();
    expect(execution).not.toHaveProperty('externalId');
    const { contextTypes } = await store().call('getContextTypes', {});
    expect(contextTypes!.find((t) => t.name === c)).toEqual({ id: contextTypeIds![0], name: c, properties: { q: STRING } });
    // Ascending id.
    const ids = artifactTypes!.map((t) => Number(t.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it('Get*Types also hides a user type that reuses a built-in name under a version', async () => {
    await store().call('putArtifactType', { artifactType: { name: 'mlmd.Model', version: 'mine' } });
    const { artifactTypes } = await store().call('getArtifactTypes', {});
    expect(artifactTypes!.some((t) => SIMPLE_ARTIFACT_TYPES.includes(t.name!))).toBe(false);
    expect((await store().call('getArtifactType', { typeName: 'mlmd.Model', typeVersion: 'mine' })).artifactType?.version).toBe('mine');
  });

  it('Get*TypesByID answers in request order with duplicates, skipping unknown ids and other kinds', async () => {
    const [x, y] = [uniqueName(), uniqueName()];
    const externalId = uniqueName('ext');
    const { artifactTypeIds, contextTypeIds } = await store().call('putTypes', {
      artifactTypes: [{ name: x, externalId, baseType: ArtifactBase.DATASET }, { name: y, properties: { p: INT } }],
      contextTypes: [{ name: uniqueName() }],
    });
    const [idX, idY] = artifactTypeIds!;
    const { artifactTypes } = await store().call('getArtifactTypesById', {
      typeIds: [idY, 999_999n, idX, contextTypeIds![0], idY, 2n, -5n, 9_223_372_036_854_775_807n],
    });
    expect(artifactTypes).toEqual([
      { id: idY, name: y, properties: { p: INT } },
      { id: idX, name: x, externalId, properties: {}, baseType: ArtifactBase.DATASET },
      { id: idY, name: y, properties: { p: INT } },
      { id: 2n, name: 'mlmd.Model', properties: expect.any(Object) },
    ]);
    expect((await store().call('getArtifactTypesById', { typeIds: [] })).artifactTypes).toEqual([]);
    const { contextTypes } = await store().call('getContextTypesById', { typeIds: [contextTypeIds![0], idX] });
    expect(contextTypes!.map((t) => t.id)).toEqual([contextTypeIds![0]]);
  });

  it('GetExecutionTypesByID reports input_type, output_type and base_type', async () => {
    const name = uniqueName();
    const inputType = { dict: { properties: { examples: { simple: { name: 'Examples' } } }, noneTypeNotRequired: true } };
    const { typeId } = await store().call('putExecutionType', {
      executionType: { name, externalId: uniqueName('ext'), inputType, outputType: { list: { element: { any: {} } } }, baseType: ExecutionBase.PROCESS },
    });
    const [type] = (await store().call('getExecutionTypesById', { typeIds: [typeId!] })).executionTypes!;
    expect(type.baseType).toBe(ExecutionBase.PROCESS);
    expect(type.externalId).toBeDefined();
    expect(type.inputType?.dict?.properties?.examples?.simple?.name).toBe('Examples');
    expect(type.inputType?.dict?.noneTypeNotRequired).toBe(true);
    expect(type.outputType?.list?.element?.any).toBeDefined();
  });

  it('Get*TypesByExternalIds: empty list OK, empty id INVALID_ARGUMENT, none found NOT_FOUND, partial OK', async () => {
    const [e1, e2] = [uniqueName('ext'), uniqueName('ext')];
    const { executionTypeIds } = await store().call('putTypes', {
      executionTypes: [
        { name: uniqueName(), externalId: e1, baseType: ExecutionBase.TRAIN, inputType: { any: {} }, properties: { p: INT } },
        { name: uniqueName(), externalId: e2, version: 'v9' },
      ],
    });
    expect(await store().call('getExecutionTypesByExternalIds', { externalIds: [] })).toEqual({ executionTypes: [] });
    const empty = await expectRejectedWithoutTrace(db(), () => store().call('getExecutionTypesByExternalIds', { externalIds: [e1, ''] }));
    expect(empty.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(empty.message).toMatch(/at least one empty external_id exists/);
    const missing = uniqueName('ext');
    const none = await expectRejectedWithoutTrace(db(), () => store().call('getExecutionTypesByExternalIds', { externalIds: [missing] }));
    expect(none.code).toBe(StatusCode.NOT_FOUND);
    expect(none.message).toContain(missing);
    // Of another kind: not found either.
    expect((await expectRejectedWithoutTrace(db(), () => store().call('getArtifactTypesByExternalIds', { externalIds: [e1] }))).code).toBe(StatusCode.NOT_FOUND);

    const { executionTypes } = await store().call('getExecutionTypesByExternalIds', { externalIds: [e2, missing, e1, e1] });
    // No base_type and no struct types on this path, as upstream.
    expect(executionTypes).toEqual([
      { id: executionTypeIds![0], name: expect.any(String), externalId: e1, properties: { p: INT } },
      { id: executionTypeIds![1], name: expect.any(String), version: 'v9', externalId: e2, properties: {} },
    ]);
  });

  it('context types by external id and by id never carry base_type', async () => {
    const externalId = uniqueName('ext');
    const { typeId } = await store().call('putContextType', { contextType: { name: uniqueName(), externalId } });
    const { contextTypes } = await store().call('getContextTypesByExternalIds', { externalIds: [externalId] });
    expect(contextTypes).toEqual([{ id: typeId, name: expect.any(String), externalId, properties: {} }]);
  });
});
