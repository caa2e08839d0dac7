import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import type { NodeTypeSchema } from '../../repositories/node_type_schema';
import { invalidArgument } from '../../errors';
import { valueKind, type ValueKind } from '../../repositories/property_value_codec';
import { checkStorableValue } from '../values/property_value_rules';

/** PropertyType numbers (TypeProperty.data_type) and the Value case each one admits. */
const KIND_OF_PROPERTY_TYPE: Record<number, ValueKind> = {
  1: 'int',
  2: 'double',
  3: 'string',
  4: 'struct',
  5: 'proto',
  6: 'bool',
};

/**
 * Checks one typed property against the node's type: it must be declared, and its Value case
 * must be the declared one. The quoted phrases are upstream's; clients match on them.
 */
export function checkTypedProperty(schema: NodeTypeSchema, name: string, value: Value | undefined, where: string): void {
  const declared = schema.properties.get(name);
  if (declared === undefined) {
    throw invalidArgument(`Found unknown property: ${name} in ${where}; type "${schema.name}" (id ${schema.id}) does not declare it.`);
  }
  const actual = valueKind(value);
  if (actual === undefined || KIND_OF_PROPERTY_TYPE[declared] !== actual) {
    throw invalidArgument(
      `Found unmatched property type: ${name} in ${where}; type "${schema.name}" declares it as ` +
        `${KIND_OF_PROPERTY_TYPE[declared] ?? `PropertyType ${declared}`} but the value is ${actual ?? 'empty'}.`,
    );
  }
  checkStorableValue(value, `properties["${name}"] of ${where}`);
}

/** Custom properties are free-form, but must still hold a storable Value. */
export function checkCustomProperty(name: string, value: Value | undefined, where: string): void {
  checkStorableValue(value, `custom_properties["${name}"] of ${where}`);
}
