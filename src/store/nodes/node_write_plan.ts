import type { Tx } from '../../database/database';
import { loadNodes } from '../../repositories/node_repository';
import { storedIdOf, storedIds } from '../../repositories/stored_ids';
import { loadNodeTypeSchemas, type NodeTypeSchema } from '../../repositories/node_type_schema';
import type { NodeRowValues } from '../../repositories/node_write_repository';
import { failedPrecondition, invalidArgument, notFound } from '../../errors';
import type { NodeKind } from '../../repositories/node_kind';
import {
  applyUpdate,
  checkAllProperties,
  requestDiffersFromStored,
  stateOf,
  valuesOf,
  type AnyNode,
  type FinalState,
  type PropertyMap,
} from './node_field_mask';
import { writableIds } from '../tenancy/write_access';

/** How messages name the node at `index` of a request. */
export type FieldOf = (index: number) => string;
export const defaultFieldOf =
  (kind: NodeKind): FieldOf =>
  (index) =>
    `${kind}s[${index}]`;

export function describe(fieldOf: FieldOf, index: number, node: AnyNode): string {
  const id = node.id !== undefined ? ` (id ${node.id})` : '';
  return `${fieldOf(index)}${id}`;
}

/** What one request node becomes once validated. */
export interface CreatePlan {
  index: number;
  values: NodeRowValues;
  properties: PropertyMap;
  customProperties: PropertyMap;
}

/**
 * Everything a PutNodes request will write, validated up to the first invalid node: the nodes
 * it updates are as stored (`stored`) and as they will be (`finals`).
 */
export interface NodeWritePlan {
  stored: Map<number, AnyNode>;
  creates: CreatePlan[];
  finals: Map<number, FinalState>;
  updatesInOrder: { index: number; id: number }[];
  /** Whether the request differs from the stored node outside its properties, per updated id. */
  touchedBy: Map<number, boolean>;
  /** The name of each type the request's nodes have (tenancy reads Kubeflow's marks by it). */
  typeNames: Map<number, string>;
  /** The first invalid node; the uniqueness check still runs over the nodes before it. */
  validationError?: { index: number; error: unknown };
}

function checkContextName(kind: NodeKind, name: string | null, where: string): void {
  if (kind === 'context' && !name) {
    throw invalidArgument(`Context name should not be empty: ${where} has ${name === null ? 'no name' : 'name ""'}.`);
  }
}

/** Loads the nodes and types the request names, then validates each node in request order. */
export async function planNodeWrites(
  tx: Tx,
  kind: NodeKind,
  nodes: readonly AnyNode[],
  mask: readonly string[],
  abortIfLatestUpdatedTimeChanged: boolean | undefined,
  fieldOf: FieldOf,
): Promise<NodeWritePlan> {
  // Nodes the caller may not write (tenancy enforce) are loaded as if absent.
  const updateIds = await writableIds(tx, kind, storedIds(nodes.map((n) => n.id)));
  const stored = new Map<number, AnyNode>();
  for (const node of (await loadNodes(tx, kind, updateIds)) as AnyNode[]) stored.set(Number(node.id), node);
  const typeIds = storedIds(nodes.map((n) => (n.id === undefined ? n.typeId : undefined)));
  for (const node of stored.values()) typeIds.push(Number(node.typeId));
  const schemas =
    typeIds.length > 0 ? await loadNodeTypeSchemas(tx, kind, typeIds, propertiesLookedUp(nodes, stored, mask)) : new Map<number, NodeTypeSchema>();

  const creates: CreatePlan[] = [];
  const finals = new Map<number, FinalState>();
  const updatesInOrder: { index: number; id: number }[] = [];
  const touchedBy = new Map<number, boolean>();
  let validationError: { index: number; error: unknown } | undefined;

  for (let index = 0; index < nodes.length && !validationError; index++) {
    const node = nodes[index];
    const where = describe(fieldOf, index, node);
    try {
      if (node.id === undefined) {
        if (node.typeId === undefined) throw invalidArgument(`Type id is missing. ${where} has no type_id.`);
        const schema = schemas.get(storedIdOf(node.typeId) ?? -1);
        if (!schema) {
          throw notFound(`No ${kind} type with id ${node.typeId} was found (${where}).`);
        }
        checkAllProperties(schema, node, where);
        const values = valuesOf(kind, node, schema.id);
        checkContextName(kind, values.name, where);
        creates.push({ index, values, properties: { ...(node.properties ?? {}) }, customProperties: { ...(node.customProperties ?? {}) } });
        continue;
      }
      const id = storedIdOf(node.id) ?? -1;
      const original = stored.get(id);
      if (kind === 'artifact' && abortIfLatestUpdatedTimeChanged && original) {
        const expected = node.lastUpdateTimeSinceEpoch ?? 0n;
        if (expected !== original.lastUpdateTimeSinceEpoch) {
          throw failedPrecondition(
            `${where}: abort_if_latest_updated_time_changed is set and the stored last_update_time_since_epoch ` +
              `${original.lastUpdateTimeSinceEpoch} differs from the request's ${expected}.`,
          );
        }
      }
      if (!original) throw invalidArgument(`Cannot find the given id ${node.id} (${where}).`);
      if (node.typeId !== undefined && node.typeId !== original.typeId) {
        throw invalidArgument(`${where} has type_id ${node.typeId}, but the stored ${kind} has type_id ${original.typeId}; a node's type cannot change.`);
      }
      const schema = schemas.get(Number(original.typeId)) ?? { id: Number(original.typeId), name: original.type ?? '', properties: new Map() };
      const target = finals.get(id) ?? stateOf(kind, original);
      applyUpdate(kind, target, node, schema, mask, where);
      checkContextName(kind, target.values.name, where);
      finals.set(id, target);
      updatesInOrder.push({ index, id });
      touchedBy.set(id, (touchedBy.get(id) ?? false) || requestDiffersFromStored(kind, node, original));
    } catch (error) {
      validationError = { index, error };
    }
  }
  const typeNames = new Map<number, string>();
  for (const [id, schema] of schemas) typeNames.set(id, schema.name);
  for (const node of stored.values()) if (node.type !== undefined) typeNames.set(Number(node.typeId), node.type);
  return { stored, creates, finals, updatesInOrder, touchedBy, typeNames, validationError };
}

/**
 * Per type id, the property names validation will look up in its schema: the request's typed
 * properties, and those a field mask names (`properties.<name>`) for updates.
 */
function propertiesLookedUp(nodes: readonly AnyNode[], stored: ReadonlyMap<number, AnyNode>, mask: readonly string[]): Map<number, Set<string>> {
  const masked = mask.filter((path) => path.startsWith('properties.')).map((path) => path.slice('properties.'.length));
  const needs = new Map<number, Set<string>>();
  for (const node of nodes) {
    const typeId = node.id === undefined ? storedIdOf(node.typeId ?? -1n) : Number(stored.get(storedIdOf(node.id) ?? -1)?.typeId ?? NaN);
    if (typeId === null || !Number.isFinite(typeId)) continue;
    let names = needs.get(typeId);
    if (names === undefined) needs.set(typeId, (names = new Set()));
    for (const name of Object.keys(node.properties ?? {})) names.add(name);
    if (node.id !== undefined) for (const name of masked) names.add(name);
  }
  return needs;
}
