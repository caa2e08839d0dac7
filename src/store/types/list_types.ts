import type { Tx } from '../../database/database';
import { listTypes } from '../../repositories/type_repository';
import type { RequestOf, ResponseOf } from '../rpc';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, simpleTypeNames, type TypeKindSpec } from './type_kind_spec';
import { typeMessage, type TypeMessage } from './type_message';

/**
 * Every type of a kind, ascending id, minus the built-in types: upstream filters them by exact
 * name, which also hides a user type that reuses such a name. Upstream's list query does not
 * select external_id, so it is never reported here.
 */
async function listVisibleTypes(tx: Tx, spec: TypeKindSpec): Promise<TypeMessage[]> {
  const hidden = simpleTypeNames(spec);
  const records = await listTypes(tx, spec.kind, { withParents: spec.baseTypeNames.size > 0 });
  return records
    .filter((r) => !hidden.has(r.name))
    .map((r) => typeMessage(r, spec, { externalId: false, baseType: true, structTypes: true }));
}

export async function getArtifactTypes(tx: Tx, _request: RequestOf<'getArtifactTypes'>): Promise<ResponseOf<'getArtifactTypes'>> {
  return { artifactTypes: await listVisibleTypes(tx, ARTIFACT_TYPES) };
}

export async function getExecutionTypes(tx: Tx, _request: RequestOf<'getExecutionTypes'>): Promise<ResponseOf<'getExecutionTypes'>> {
  return { executionTypes: await listVisibleTypes(tx, EXECUTION_TYPES) };
}

export async function getContextTypes(tx: Tx, _request: RequestOf<'getContextTypes'>): Promise<ResponseOf<'getContextTypes'>> {
  return { contextTypes: await listVisibleTypes(tx, CONTEXT_TYPES) };
}
