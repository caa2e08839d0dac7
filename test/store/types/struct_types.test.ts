import { expect, it } from 'vitest';
import { ArtifactStructType, PropertyType } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode } from '../../../src/errors';
import { uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

describeStore('ExecutionType input_type / output_type', (ctx) => {
  const store = () => ctx().store;
  const db = () => ctx().db;
  const storedColumns = async (id: bigint) =>
    (await db().knex(db().table('Type')).select('input_type', 'output_type').where('id', Number(id)))[0] as { input_type: string | null; output_type: string | null };

  it('stores them as protobuf JSON printer text (lowerCamelCase, enums by name, int64 as strings) and reads them back', async () => {
    const name = uniqueName();
    const inputType: ArtifactStructType = {
      unionType: {
        candidates: [{ simple: { id: 12n, name: 'Examples', properties: { span: PropertyType.INT } } }, { none: {} }],
      },
    };
    const outputType: ArtifactStructType = {
      dict: { properties: { model: { simple: { name: 'Model' } } }, noneTypeNotRequired: false, extraPropertiesType: { any: {} } },
    };
    const { typeId } = await store().call('putExecutionType', { executionType: { name, inputType, outputType } });
    const stored = await storedColumns(typeId!);
    expect(stored.input_type).toBe('{"unionType":{"candidates":[{"simple":{"id":"12","name":"Examples","properties":{"span":"INT"}}},{"none":{}}]}}');
    expect(stored.output_type).toBe('{"dict":{"properties":{"model":{"simple":{"name":"Model"}}},"noneTypeNotRequired":false,"extraPropertiesType":{"any":{}}}}');
    const { executionType } = await store().call('getExecutionType', { typeName: name });
    expect(ArtifactStructType.toJSON(executionType!.inputType!)).toEqual(ArtifactStructType.toJSON(inputType));
    expect(ArtifactStructType.toJSON(executionType!.outputType!)).toEqual(ArtifactStructType.toJSON(outputType));
  });

  it('leaves the columns NULL when absent and for artifact and context types', async () => {
    const name = uniqueName();
    const { typeId } = await store().call('putExecutionType', { executionType: { name } });
    expect(await storedColumns(typeId!)).toEqual({ input_type: null, output_type: null });
    const { executionType } = await store().call('getExecutionType', { typeName: name });
    expect(executionType).toEqual({ id: typeId, name, properties: {} });
  });

  it('reads what another writer stored with the original snake_case field names', async () => {
    const name = uniqueName();
    const { typeId } = await store().call('putExecutionType', { executionType: { name } });
    await db()
      .knex(db().table('Type'))
      .where('id', Number(typeId))
      .update({ input_type: '{"union_type": {"candidates": [{"tuple": {"elements": [{"any": {}}]}}]}}', output_type: '{"dict":{"none_type_not_required":true}}' });
    const { executionType } = await store().call('getExecutionType', { typeName: name });
    expect(executionType?.inputType?.unionType?.candidates?.[0].tuple?.elements?.[0].any).toBeDefined();
    expect(executionType?.outputType?.dict?.noneTypeNotRequired).toBe(true);
  });

  it('reports an unreadable stored column as INTERNAL instead of crashing', async () => {
    const name = uniqueName();
    const { typeId } = await store().call('putExecutionType', { executionType: { name } });
    await db().knex(db().table('Type')).where('id', Number(typeId)).update({ input_type: 'not json' });
    await expect(store().call('getExecutionType', { typeName: name })).rejects.toMatchObject({ code: StatusCode.INTERNAL, message: expect.stringContaining('input_type') });
  });
});
