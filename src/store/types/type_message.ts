import type { ArtifactType, ContextType, ExecutionType, PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import type { TypeRecord } from '../../repositories/type_repository';
import { invalidArgument } from '../../errors';
import { structTypeFromJson } from './struct_type_json';
import type { TypeKindSpec } from './type_kind_spec';

/**
 * Which optional columns a type read reports. Upstream's readers differ here (contract §2.6)
 * and the official tests compare whole messages, so each RPC states its own selection.
 */
export interface TypeFieldSelection {
  externalId: boolean;
  /** Report the ParentType link as base_type (artifact and execution types only). */
  baseType: boolean;
  /** Report input_type / output_type (execution types only). */
  structTypes: boolean;
}

/**
 * The fields of all three type messages; each kind's message is this shape minus what it
 * lacks, and base_type is the plain enum number of whichever kind's enum applies.
 */
export type TypeMessage = Omit<ArtifactType, 'baseType'> & Pick<ExecutionType, 'inputType' | 'outputType'> & { baseType?: number };

// Compile-time proof that a TypeMessage is accepted where each kind's message is expected.
const asArtifactType = (m: TypeMessage): ArtifactType => m;
const asExecutionType = (m: TypeMessage): ExecutionType => m;
const asContextType = (m: TypeMessage): ContextType => m;

/** The proto message for a stored type, with exactly the fields `fields` selects and stored. */
export function typeMessage(record: TypeRecord, spec: TypeKindSpec, fields: TypeFieldSelection): TypeMessage {
  const properties: { [key: string]: PropertyType } = {};
  for (const [name, dataType] of record.properties) properties[name] = dataType;
  const message: TypeMessage = { id: BigInt(record.id), name: record.name, properties };
  if (record.version !== undefined) message.version = record.version;
  if (record.description !== undefined) message.description = record.description;
  if (fields.externalId && record.externalId !== undefined) message.externalId = record.externalId;
  if (fields.structTypes && spec.hasStructTypes) {
    if (record.inputTypeJson !== undefined) message.inputType = structTypeFromJson(record.inputTypeJson, record.id, 'input_type');
    if (record.outputTypeJson !== undefined) message.outputType = structTypeFromJson(record.outputTypeJson, record.id, 'output_type');
  }
  if (fields.baseType && spec.baseTypeNames.size > 0) {
    const baseType = baseTypeOf(record, spec);
    if (baseType !== undefined) message.baseType = baseType;
  }
  return message;
}

/** The base_type enum number of a type's parent link, if it has one. */
function baseTypeOf(record: TypeRecord, spec: TypeKindSpec): number | undefined {
  if (record.parentTypes === undefined) throw new Error('typeMessage: base_type asked for but parents were not loaded');
  const parent = record.parentTypes[0];
  if (parent === undefined) return undefined;
  for (const [value, name] of spec.baseTypeNames) if (name === parent.name) return value;
  // Upstream fails the same way: a parent that is not a built-in type has no enum value.
  throw invalidArgument(`${spec.label} ${record.id} ("${record.name}") has parent type ${parent.id} ("${parent.name}"), which is not a system-defined base type.`);
}
