import type { Tx } from '../../database/database';
import type { Artifact, Context, Execution, Value } from '../../generated/ml_metadata/proto/metadata_store';
import { loadNodes, rowIdOf, type NodeMessages } from '../../repositories/node_repository';
import { loadNodeTypeSchemas, type NodeTypeSchema } from '../../repositories/node_type_schema';
import {
  insertNodeRows,
  nodesWithExternalIds,
  nodesWithTypeAndNames,
  updateNodeRows,
  type NodeRowUpdate,
  type NodeRowValues,
} from '../../repositories/node_write_repository';
import { deleteProperties, insertProperties, type PropertyKey, type PropertyWrite } from '../../repositories/property_repository';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, type MlmdError } from '../../errors';
import { nodeTables, type NodeKind } from '../../repositories/node_kind';
import { valuesEqual } from '../values/property_value_rules';
import { checkCustomProperty, checkTypedProperty } from './property_validation';

/** Every node kind's message, viewed through the union of their fields. */
type AnyNode = Artifact & Execution & Context;
type PropertyMap = { [key: string]: Value };

export interface PutNodesOptions {
  /** FieldMask paths for nodes with an id; empty or absent = replace the whole node. */
  updateMask?: readonly string[];
  /** PutArtifacts' optimistic check (contract §5.8). */
  abortIfLatestUpdatedTimeChanged?: boolean;
  /**
   * Rewrite every updated node (bumping last_update_time_since_epoch) even when nothing
   * differs from the stored node: PutExecution's `force_update_time` (contract §5.5).
   */
  forceUpdate?: boolean;
  /**
   * How messages name the node at `index` of this call, for callers whose nodes come from
   * another request field (PutExecution's `artifact_event_pairs[i].artifact`); default
   * `<kind>s[<index>]`.
   */
  fieldOf?: (index: number) => string;
}

type FieldOf = (index: number) => string;
const defaultFieldOf =
  (kind: NodeKind): FieldOf =>
  (index) =>
    `${kind}s[${index}]`;

/** What one request node becomes once validated. */
interface CreatePlan {
  index: number;
  values: NodeRowValues;
  properties: PropertyMap;
  customProperties: PropertyMap;
}

interface FinalState {
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

function describe(fieldOf: FieldOf, index: number, node: AnyNode): string {
  const id = node.id !== undefined ? ` (id ${node.id})` : '';
  return `${fieldOf(index)}${id}`;
}

function valuesOf(kind: NodeKind, node: AnyNode, typeId: number): NodeRowValues {
  const values: NodeRowValues = { type_id: typeId, name: node.name ?? null, external_id: node.externalId ?? null };
  if (kind === 'artifact') {
    values.uri = node.uri ?? '';
    values.state = node.state ?? null;
  }
  if (kind === 'execution') values.last_known_state = node.lastKnownState ?? null;
  return values;
}

function stateOf(kind: NodeKind, stored: AnyNode): FinalState {
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
function requestDiffersFromStored(kind: NodeKind, request: AnyNode, stored: AnyNode): boolean {
  if (request.name !== stored.name || request.externalId !== stored.externalId || request.type !== stored.type) return true;
  if (request.systemMetadata !== undefined) return true;
  if (kind === 'artifact' && (request.uri !== stored.uri || request.state !== stored.state)) return true;
  if (kind === 'execution' && request.lastKnownState !== stored.lastKnownState) return true;
  return false;
}

function checkContextName(kind: NodeKind, name: string | null, where: string): void {
  if (kind === 'context' && !name) {
    throw invalidArgument(`Context name should not be empty: ${where} has ${name === null ? 'no name' : 'name ""'}.`);
  }
}

function checkAllProperties(schema: NodeTypeSchema, node: AnyNode, where: string): void {
  for (const [name, value] of Object.entries(node.properties ?? {})) checkTypedProperty(schema, name, value, where);
  for (const [name, value] of Object.entries(node.customProperties ?? {})) checkCustomProperty(name, value, where);
}

/** Applies an update to `target` (the node as stored so far), validating what it writes. */
function applyUpdate(kind: NodeKind, target: FinalState, request: AnyNode, schema: NodeTypeSchema, mask: readonly string[], where: string): void {
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
function diffProperties(
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

type Owner = number | `new:${number}`;

/**
 * Finds the first request index whose node would break a uniqueness rule ((type_id, name) or
 * external_id within the kind), against stored nodes and earlier nodes of the same request.
 * Checking before writing keeps PostgreSQL's transaction usable and the message precise.
 */
async function firstUniquenessViolation(
  tx: Tx,
  kind: NodeKind,
  nodes: readonly AnyNode[],
  finals: Map<number, FinalState>,
  updatesInOrder: { index: number; id: number }[],
  creates: CreatePlan[],
  limit: number,
  fieldOf: FieldOf,
): Promise<{ index: number; error: MlmdError } | undefined> {
  const updatedIds = new Set(updatesInOrder.map((u) => u.id));
  type Step = { index: number; owner: Owner; values: NodeRowValues };
  const steps: Step[] = [
    ...creates.map((c) => ({ index: c.index, owner: `new:${c.index}` as Owner, values: c.values })),
    ...updatesInOrder.map((u) => ({ index: u.index, owner: u.id as Owner, values: finals.get(u.id)!.values })),
  ]
    .filter((s) => s.index < limit)
    .sort((a, b) => a.index - b.index);
  if (steps.length === 0) return undefined;

  const nameKey = (typeId: number, name: string) => `${typeId}\u0000${name}`;
  const externalIds = steps.map((s) => s.values.external_id).filter((e): e is string => e !== null);
  const namePairs = steps.filter((s) => s.values.name !== null).map((s) => [s.values.type_id, s.values.name!] as [number, string]);
  const byExternalId = externalIds.length > 0 ? await nodesWithExternalIds(tx, kind, externalIds) : [];
  const byName = namePairs.length > 0 ? await nodesWithTypeAndNames(tx, kind, namePairs) : [];
  const externalOwners = new Map<string, Owner>();
  const nameOwners = new Map<string, Owner>();
  // Stored rows of nodes this request updates are represented by their final state instead,
  // except artifact/execution names, which updates never change.
  for (const row of byExternalId) if (!updatedIds.has(row.id)) externalOwners.set(row.external_id!, row.id);
  for (const row of byName) if (!updatedIds.has(row.id) || kind !== 'context') nameOwners.set(nameKey(row.type_id, row.name!), row.id);

  const label = nodeTables(kind).label;
  for (const step of steps) {
    const { external_id: externalId, name, type_id: typeId } = step.values;
    const where = describe(fieldOf, step.index, nodes[step.index]);
    if (name !== null && (kind === 'context' || typeof step.owner !== 'number')) {
      const holder = nameOwners.get(nameKey(typeId, name));
      if (holder !== undefined && holder !== step.owner) {
        return {
          index: step.index,
          error: alreadyExists(`${label} name "${name}" already exists for type_id ${typeId}: ${where} clashes with ${describeOwner(kind, holder, fieldOf)}.`),
        };
      }
      nameOwners.set(nameKey(typeId, name), step.owner);
    }
    if (externalId !== null) {
      const holder = externalOwners.get(externalId);
      if (holder !== undefined && holder !== step.owner) {
        return {
          index: step.index,
          error: alreadyExists(`${label} external_id "${externalId}" already exists: ${where} clashes with ${describeOwner(kind, holder, fieldOf)}.`),
        };
      }
      externalOwners.set(externalId, step.owner);
    }
  }
  return undefined;
}

const describeOwner = (kind: NodeKind, owner: Owner, fieldOf: FieldOf) =>
  typeof owner === 'number' ? `stored ${kind} id ${owner}` : `${fieldOf(Number(owner.slice(4)))} of the same request`;

/**
 * PutArtifacts / PutExecutions / PutContexts: creates nodes without id, updates nodes with
 * one, and answers their ids index-aligned. The whole request is validated before anything
 * is written; the statements issued do not depend on how many nodes or properties it holds.
 */
export async function putNodes<K extends NodeKind>(
  tx: Tx,
  kind: K,
  requestNodes: readonly NodeMessages[K][] | undefined,
  options: PutNodesOptions = {},
): Promise<bigint[]> {
  const nodes = (requestNodes ?? []) as readonly AnyNode[];
  if (nodes.length === 0) return [];
  const mask = options.updateMask ?? [];
  const fieldOf = options.fieldOf ?? defaultFieldOf(kind);

  const updateIds = nodes.map((n) => (n.id !== undefined ? rowIdOf(n.id) : null)).filter((id): id is number => id !== null);
  const stored = new Map<number, AnyNode>();
  for (const node of (await loadNodes(tx, kind, updateIds)) as AnyNode[]) stored.set(Number(node.id), node);
  const typeIds = nodes
    .map((n) => (n.id === undefined && n.typeId !== undefined ? rowIdOf(n.typeId) : null))
    .filter((id): id is number => id !== null);
  for (const node of stored.values()) typeIds.push(Number(node.typeId));
  const schemas = typeIds.length > 0 ? await loadNodeTypeSchemas(tx, kind, typeIds) : new Map<number, NodeTypeSchema>();

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
        const schema = schemas.get(rowIdOf(node.typeId) ?? -1);
        if (!schema) {
          throw notFound(`No ${kind} type with id ${node.typeId} was found (${where}).`);
        }
        checkAllProperties(schema, node, where);
        const values = valuesOf(kind, node, schema.id);
        checkContextName(kind, values.name, where);
        creates.push({ index, values, properties: { ...(node.properties ?? {}) }, customProperties: { ...(node.customProperties ?? {}) } });
        continue;
      }
      const id = rowIdOf(node.id) ?? -1;
      const original = stored.get(id);
      if (kind === 'artifact' && options.abortIfLatestUpdatedTimeChanged && original) {
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

  const clash = await firstUniquenessViolation(tx, kind, nodes, finals, updatesInOrder, creates, validationError?.index ?? nodes.length, fieldOf);
  if (clash) throw clash.error;
  if (validationError) throw validationError.error;

  // Writes: node rows, then property rows; each step is one statement per chunk.
  const newIds = await insertNodeRows(tx, kind, creates.map((c) => c.values));
  const deletes: PropertyKey[] = [];
  const inserts: PropertyWrite[] = [];
  creates.forEach((c, i) => {
    for (const [name, value] of Object.entries(c.properties)) inserts.push({ nodeId: newIds[i], name, isCustom: false, value });
    for (const [name, value] of Object.entries(c.customProperties)) inserts.push({ nodeId: newIds[i], name, isCustom: true, value });
  });
  const rowUpdates: NodeRowUpdate[] = [];
  for (const [id, target] of finals) {
    const original = stored.get(id)!;
    const typedChanged = diffProperties(id, false, original.properties ?? {}, target.properties, deletes, inserts);
    const customChanged = diffProperties(id, true, original.customProperties ?? {}, target.customProperties, deletes, inserts);
    if (typedChanged || customChanged || touchedBy.get(id) || options.forceUpdate) {
      const previous = Number(original.lastUpdateTimeSinceEpoch ?? 0n);
      // The optimistic check promises a strictly newer timestamp to the next reader.
      const time = options.abortIfLatestUpdatedTimeChanged ? Math.max(tx.nowMs, previous + 1) : tx.nowMs;
      rowUpdates.push({ id, values: target.values, lastUpdateTimeMs: time });
    }
  }
  await updateNodeRows(tx, kind, rowUpdates);
  await deleteProperties(tx, kind, deletes);
  await insertProperties(tx, kind, inserts);

  const createdIdAt = new Map(creates.map((c, i) => [c.index, newIds[i]]));
  return nodes.map((n, index) => (n.id !== undefined ? n.id : BigInt(createdIdAt.get(index)!)));
}
