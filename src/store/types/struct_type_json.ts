import { ArtifactStructType } from '../../generated/ml_metadata/proto/metadata_store';
import { internal } from '../../errors';

/**
 * ExecutionType.input_type / output_type are stored as text in the form protobuf's JSON
 * printer writes with default options: lowerCamelCase field names, enums by name, int64 as
 * strings, unset fields omitted. Upstream reads the column back with protobuf's JSON parser,
 * so what we write here is what upstream would have written and can read.
 */
export function structTypeToJson(value: ArtifactStructType): string {
  return JSON.stringify(ArtifactStructType.toJSON(value));
}

/** Parses a stored column; accepts both lowerCamelCase and the original snake_case names. */
export function structTypeFromJson(text: string, typeId: number, column: 'input_type' | 'output_type'): ArtifactStructType {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw internal(`Type ${typeId} has an unreadable ${column} (not JSON): ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw internal(`Type ${typeId} has an unreadable ${column}: expected a JSON object, found ${text.slice(0, 80)}`);
  }
  return ArtifactStructType.fromJSON(parsed);
}
