import type { Tx } from '../../database/database';
import type { Artifact, Context, Execution } from '../../generated/ml_metadata/proto/metadata_store';
import { storedIdOf, storedIds } from '../../repositories/stored_ids';
import { loadNodeTypeSchemas } from '../../repositories/node_type_schema';
import { invalidArgument, notFound } from '../../errors';
import type { NodeKind } from '../../repositories/node_kind';
import { checkCustomProperty, checkTypedProperty } from '../nodes/property_validation';

type AnyNode = Artifact | Execution | Context;

/**
 * PutLineageSubgraph's up-front check of one node list (contract §8.3.5 step 2): every node,
 * created or updated, names its type_id (INVALID_ARGUMENT); every named type exists and is
 * of this kind (NOT_FOUND); every property fits the type (INVALID_ARGUMENT). Each rule runs
 * over the whole list before the next. Two statements however many nodes.
 */
export async function validateNodeBatch(tx: Tx, kind: NodeKind, nodes: readonly AnyNode[], field: string): Promise<void> {
  if (nodes.length === 0) return;
  nodes.forEach((node, i) => {
    if (node.typeId === undefined) throw invalidArgument(`Type id is missing. ${field}[${i}] has no type_id.`);
  });
  const typeIds = storedIds(nodes.map((n) => n.typeId!));
  const needs = new Map<number, string[]>();
  for (const node of nodes) {
    const id = storedIdOf(node.typeId!);
    if (id !== null) needs.set(id, [...(needs.get(id) ?? []), ...Object.keys(node.properties ?? {})]);
  }
  const schemas = await loadNodeTypeSchemas(tx, kind, typeIds, needs);
  nodes.forEach((node, i) => {
    if (!schemas.has(storedIdOf(node.typeId!) ?? -1)) throw notFound(`No ${kind} type with id ${node.typeId} was found (${field}[${i}]).`);
  });
  nodes.forEach((node, i) => {
    const schema = schemas.get(storedIdOf(node.typeId!)!)!;
    const where = `${field}[${i}]`;
    for (const [name, value] of Object.entries(node.properties ?? {})) checkTypedProperty(schema, name, value, where);
    for (const [name, value] of Object.entries(node.customProperties ?? {})) checkCustomProperty(name, value, where);
  });
}
