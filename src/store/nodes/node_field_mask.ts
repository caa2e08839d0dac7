import type { Artifact, Context, Execution, Value } from '../../generated/ml_metadata/proto/metadata_store';
import type { NodeTypeSchema } from '../../repositories/node_type_schema';
import type { NodeRowValues } from '../../repositories/node_write_repository';
import type { PropertyKey, PropertyWrite } from '../../repositories/property_repository';
import type { NodeKind } from '../../repositories/node_kind';
import { valuesEqual } from '../values/property_value_rules';
import { checkCustomProperty, checkTypedProperty } from './property_validation';

/** Every node kind's message, viewed through the union of their fields. */
export type AnyNode = Artifact & Execution & Context;
export type PropertyMap = { [key: string]: Value };

/** A node's row values and properties as they will be stored once this request is applied. */
export interface FinalState {
  values: NodeRowValues;
  properties: PropertyMap;
  customProperties: PropertyMap;
}

/** Top-level fields a mask path may copy, per kind; other names are ignored (contract §5.6). */
const MASKABLE_FIELDS: Record<NodeKind, Record<string, (target: FinalState, request: AnyNode) => void>> = {
  artifact: {
    uri: (t, r) => (t.values.uri = r.uri ?? ''),
    state: (t, r) => (t.values.state = r.state ?? null),
    external_id: (t, r) => (t.values.external_id = r.externalId ?? null),
  },
  execution: {
    last_known_state: (t, r) => (t.values.last_known_state = r.lastKnownState ?? null),
    external_id: (t, r) => (t.values.external_id = r.externalId ?? null),
  },
  context: {
    name: (t, r) => (t.values.name = r.name ?? null),
    external_id: (t, r) => (t.values.external_id = r.externalId ?? null),
  },
};

export function valuesOf(kind: NodeKind, node: AnyNode, typeId: number): NodeRowValues {
  const values: NodeRowValues = { type_id: typeId, name: node.name ?? null, external_id: node.externalId ?? null };
  if (kind === 'artifact') {
    values.uri = node.uri ?? '';
    values.state = node.state ?? null;
  }
  if (kind === 'execution') values.last_known_state = node.lastKnownState ?? null;
  return values;
}

export function stateOf(kind: NodeKind, stored: AnyNode): FinalState {
  return {
    values: valuesOf(kind, stored, Number(stored.typeId)),
    properties: { ...(stored.properties ?? {}) },
    customProperties: { ...(stored.customProperties ?? {}) },
  };
}

/**
 * Upstream rewrites a node only if some property changed or the request differs from the
 * stored node in a field other than type_id, properties and the timestamps, output-only
 * `type` and `system_metadata` included (contract §5.5, quirk B10).
 */
export function requestDiffersFromStored(kind: NodeKind, request: AnyNode, stored: AnyNode): boolean {
  if (request.name !== stored.name || request.externalId !== stored.externalId || request.type !== stored.type) return true;
  if (request.systemMetadata !== undefined) return true;
  if (kind === 'artifact' && (request.uri !== stored.uri || request.state !== stored.state)) return true;
  if (kind === 'execution' && request.lastKnownState !== stored.lastKnownState) return true;
  return false;
}

export function checkAllProperties(schema: NodeTypeSchema, node: AnyNode, where: string): void {
  for (const [name, value] of Object.entries(node.properties ?? {})) checkTypedProperty(schema, name, value, where);
  for (const [name, value] of Object.entries(node.customProperties ?? {})) checkCustomProperty(name, value, where);
}

/** Applies an update to `target` (the node as stored so far), validating what it writes. */
export function applyUpdate(kind: NodeKind, target: FinalState, request: AnyNode, schema: NodeTypeSchema, mask: readonly string[], where: string): void {
  if (mask.length === 0) {
    checkAllProperties(schema, request, where);
    const name = kind === 'context' ? (request.name ?? null) : target.values.name;
    target.values = { ...valuesOf(kind, request, target.values.type_id), name };
    target.properties = { ...(request.properties ?? {}) };
    target.customProperties = { ...(request.customProperties ?? {}) };
    return;
  }
  const requestProperties = request.properties ?? {};
  const requestCustom = request.customProperties ?? {};
  for (const path of mask) {
    if (path === 'properties') {
      for (const [name, value] of Object.entries(requestProperties)) checkTypedProperty(schema, name, value, where);
      target.properties = { ...requestProperties };
    } else if (path === 'custom_properties') {
      for (const [name, value] of Object.entries(requestCustom)) checkCustomProperty(name, value, where);
      target.customProperties = { ...requestCustom };
    } else if (path.startsWith('properties.')) {
      const name = path.slice('properties.'.length);
      if (Object.hasOwn(requestProperties, name)) {
        checkTypedProperty(schema, name, requestProperties[name], where);
        target.properties[name] = requestProperties[name];
      } else {
        delete target.properties[name];
      }
    } else if (path.startsWith('custom_properties.')) {
      const name = path.slice('custom_properties.'.length);
      if (Object.hasOwn(requestCustom, name)) {
        checkCustomProperty(name, requestCustom[name], where);
        target.customProperties[name] = requestCustom[name];
      } else {
        delete target.customProperties[name];
      }
    } else {
      MASKABLE_FIELDS[kind][path]?.(target, request);
    }
  }
}

/** Adds the property rows that turn `before` into `after` to the delete and insert lists. */
export function diffProperties(
  nodeId: number,
  isCustom: boolean,
  before: PropertyMap,
  after: PropertyMap,
  deletes: PropertyKey[],
  inserts: PropertyWrite[],
): boolean {
  let changed = false;
  for (const [name, value] of Object.entries(before)) {
    if (!Object.hasOwn(after, name)) {
      deletes.push({ nodeId, name, isCustom });
      changed = true;
    } else if (!valuesEqual(value, after[name])) {
      // Rewritten as delete + insert: one shape for typed and custom rows, whose kind may change.
      deletes.push({ nodeId, name, isCustom });
      inserts.push({ nodeId, name, isCustom, value: after[name] });
      changed = true;
    }
  }
  for (const [name, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, name)) {
      inserts.push({ nodeId, name, isCustom, value });
      changed = true;
    }
  }
  return changed;
}

