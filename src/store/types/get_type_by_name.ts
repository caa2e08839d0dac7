import type { Tx } from '../../database/database';
import { findType } from '../../repositories/type_repository';
import { notFound } from '../../errors';
import type { RequestOf, ResponseOf } from '../rpc';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, type TypeKindSpec } from './type_kind_spec';
import { typeMessage, type TypeMessage } from './type_message';

/**
 * The type of `spec`'s kind with this name and version (absent or empty = unversioned, never
 * "any version"). Unlike the node by-name getters, absence is NOT_FOUND.
 */
async function getTypeByName(tx: Tx, spec: TypeKindSpec, name: string | undefined, version: string | undefined): Promise<TypeMessage> {
  const record = await findType(tx, spec.kind, name ?? '', version || undefined, { withParents: true });
  if (!record) {
    const versionText = version ? `version "${version}"` : 'no version';
    throw notFound(`No ${spec.label} found with type_name "${name ?? ''}" and ${versionText}.`);
  }
  return typeMessage(record, spec, { externalId: true, baseType: true, structTypes: true });
}

export async function getArtifactType(tx: Tx, request: RequestOf<'getArtifactType'>): Promise<ResponseOf<'getArtifactType'>> {
  return { artifactType: await getTypeByName(tx, ARTIFACT_TYPES, request.typeName, request.typeVersion) };
}

export async function getExecutionType(tx: Tx, request: RequestOf<'getExecutionType'>): Promise<ResponseOf<'getExecutionType'>> {
  return { executionType: await getTypeByName(tx, EXECUTION_TYPES, request.typeName, request.typeVersion) };
}

export async function getContextType(tx: Tx, request: RequestOf<'getContextType'>): Promise<ResponseOf<'getContextType'>> {
  return { contextType: await getTypeByName(tx, CONTEXT_TYPES, request.typeName, request.typeVersion) };
}
