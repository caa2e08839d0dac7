import type { RequestOf, ResponseOf } from '../rpc';
import type { Tx } from '../../database/database';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, type TypeKindSpec } from './type_kind_spec';
import type { TypeMessage } from './type_message';
import { upsertTypes } from './type_upsert';
import type { TypeUpsertEntry, TypeUpsertOptions } from './type_upsert_entry';

/** The evolution switches of a put request, with the proto2 declared defaults applied. */
function upsertOptions(request: { canAddFields?: boolean; canOmitFields?: boolean; allFieldsMatch?: boolean }): TypeUpsertOptions {
  // can_delete_fields is deprecated and upstream ignores it entirely.
  return {
    canAddFields: request.canAddFields ?? false,
    canOmitFields: request.canOmitFields ?? false,
    allFieldsMatch: request.allFieldsMatch ?? true,
  };
}

async function putOne(tx: Tx, spec: TypeKindSpec, type: TypeMessage | undefined, field: string, request: Parameters<typeof upsertOptions>[0]) {
  const [id] = await upsertTypes(tx, [{ spec, type: type ?? {}, field }], upsertOptions(request));
  return { typeId: BigInt(id) };
}

export const putArtifactType = (tx: Tx, request: RequestOf<'putArtifactType'>): Promise<ResponseOf<'putArtifactType'>> =>
  putOne(tx, ARTIFACT_TYPES, request.artifactType, 'artifact_type', request);

export const putExecutionType = (tx: Tx, request: RequestOf<'putExecutionType'>): Promise<ResponseOf<'putExecutionType'>> =>
  putOne(tx, EXECUTION_TYPES, request.executionType, 'execution_type', request);

export const putContextType = (tx: Tx, request: RequestOf<'putContextType'>): Promise<ResponseOf<'putContextType'>> =>
  putOne(tx, CONTEXT_TYPES, request.contextType, 'context_type', request);

/** Artifact types, then execution types, then context types, each list in order (§4.3). */
export async function putTypes(tx: Tx, request: RequestOf<'putTypes'>): Promise<ResponseOf<'putTypes'>> {
  const lists: [TypeKindSpec, TypeMessage[], string][] = [
    [ARTIFACT_TYPES, request.artifactTypes ?? [], 'artifact_types'],
    [EXECUTION_TYPES, request.executionTypes ?? [], 'execution_types'],
    [CONTEXT_TYPES, request.contextTypes ?? [], 'context_types'],
  ];
  const entries: TypeUpsertEntry[] = lists.flatMap(([spec, types, field]) => types.map((type, i) => ({ spec, type, field: `${field}[${i}]` })));
  const ids = (await upsertTypes(tx, entries, upsertOptions(request))).map(BigInt);
  const artifactCount = lists[0][1].length;
  const executionCount = lists[1][1].length;
  return {
    artifactTypeIds: ids.slice(0, artifactCount),
    executionTypeIds: ids.slice(artifactCount, artifactCount + executionCount),
    contextTypeIds: ids.slice(artifactCount + executionCount),
  };
}
