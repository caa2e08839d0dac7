import type { Tx } from '../../database/database';
import { findTypesByExternalIds } from '../../repositories/type_repository';
import { invalidArgument, notFound } from '../../errors';
import type { RequestOf, ResponseOf } from '../rpc';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, type TypeKindSpec } from './type_kind_spec';
import { typeMessage, type TypeMessage } from './type_message';

/**
 * Types of one kind holding any of `externalIds`, ascending id. Upstream's quirks kept: an
 * empty id is INVALID_ARGUMENT, and finding none at all is NOT_FOUND while a partial match is
 * OK. Its query reads neither ParentType nor the struct columns, so neither is reported.
 */
async function typesByExternalIds(tx: Tx, spec: TypeKindSpec, externalIds: readonly string[] | undefined): Promise<TypeMessage[]> {
  const ids = externalIds ?? [];
  if (ids.length === 0) return [];
  const empty = ids.indexOf('');
  if (empty >= 0) throw invalidArgument(`List of external_ids (external_ids[${empty}] is "") is invalid: at least one empty external_id exists.`);
  const records = await findTypesByExternalIds(tx, ids, spec.kind);
  if (records.length === 0) {
    throw notFound(`No ${spec.label} found with external_ids ${JSON.stringify(ids.slice(0, 10))}${ids.length > 10 ? ` and ${ids.length - 10} more` : ''}.`);
  }
  return records.map((r) => typeMessage(r, spec, { externalId: true, baseType: false, structTypes: false }));
}

export async function getArtifactTypesByExternalIds(
  tx: Tx,
  request: RequestOf<'getArtifactTypesByExternalIds'>,
): Promise<ResponseOf<'getArtifactTypesByExternalIds'>> {
  return { artifactTypes: await typesByExternalIds(tx, ARTIFACT_TYPES, request.externalIds) };
}

export async function getExecutionTypesByExternalIds(
  tx: Tx,
  request: RequestOf<'getExecutionTypesByExternalIds'>,
): Promise<ResponseOf<'getExecutionTypesByExternalIds'>> {
  return { executionTypes: await typesByExternalIds(tx, EXECUTION_TYPES, request.externalIds) };
}

export async function getContextTypesByExternalIds(
  tx: Tx,
  request: RequestOf<'getContextTypesByExternalIds'>,
): Promise<ResponseOf<'getContextTypesByExternalIds'>> {
  return { contextTypes: await typesByExternalIds(tx, CONTEXT_TYPES, request.externalIds) };
}
