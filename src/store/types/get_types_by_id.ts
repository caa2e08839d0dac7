import type { Tx } from '../../database/database';
import { loadTypesByIds } from '../../repositories/type_repository';
import type { RequestOf, ResponseOf } from '../rpc';
import { storableTypeIds } from './stored_type_ids';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, type TypeKindSpec } from './type_kind_spec';
import { typeMessage, type TypeMessage } from './type_message';

/**
 * The types of one kind among `ids`, in request order. Unknown ids and ids of another kind are
 * skipped; a repeated id is answered repeatedly, as upstream does. Built-in types are not hidden.
 */
async function typesById(tx: Tx, spec: TypeKindSpec, ids: readonly bigint[] | undefined): Promise<TypeMessage[]> {
  const requested = storableTypeIds(ids ?? []);
  if (requested.length === 0) return [];
  const withBaseType = spec.baseTypeNames.size > 0;
  const records = await loadTypesByIds(tx, requested, spec.kind, { withParents: withBaseType });
  const fields = { externalId: true, baseType: withBaseType, structTypes: true };
  const messages = new Map<number, TypeMessage>();
  for (const [id, record] of records) messages.set(id, typeMessage(record, spec, fields));
  return requested.flatMap((id) => {
    const message = messages.get(id);
    return message ? [message] : [];
  });
}

export async function getArtifactTypesById(tx: Tx, request: RequestOf<'getArtifactTypesById'>): Promise<ResponseOf<'getArtifactTypesById'>> {
  return { artifactTypes: await typesById(tx, ARTIFACT_TYPES, request.typeIds) };
}

export async function getExecutionTypesById(tx: Tx, request: RequestOf<'getExecutionTypesById'>): Promise<ResponseOf<'getExecutionTypesById'>> {
  return { executionTypes: await typesById(tx, EXECUTION_TYPES, request.typeIds) };
}

export async function getContextTypesById(tx: Tx, request: RequestOf<'getContextTypesById'>): Promise<ResponseOf<'getContextTypesById'>> {
  return { contextTypes: await typesById(tx, CONTEXT_TYPES, request.typeIds) };
}
