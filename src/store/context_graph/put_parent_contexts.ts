import { ancestorLinks, insertParentLinks, type ParentLink } from '../../repositories/edge_repository';
import { existingNodeIds } from '../../repositories/node_existence';
import { storedIdOf, storedIds } from '../../repositories/stored_ids';
import { alreadyExists, invalidArgument } from '../../errors';
import type { RpcImpl } from '../rpc';
import { writableExisting } from '../tenancy/write_access';

/**
 * PutParentContexts (contract §7.2), entries in request order, the first failure rejecting
 * the whole request: both ids present and naming two distinct existing contexts
 * (INVALID_ARGUMENT), no cycle through the links stored or added earlier in the request
 * (INVALID_ARGUMENT), and the link not already present (ALREADY_EXISTS; unlike
 * attributions this is not idempotent). Statements: one existence lookup, one per level of
 * the ancestry above the request's contexts, one multi-row insert.
 */
export const putParentContexts: RpcImpl<'putParentContexts'> = async (tx, request) => {
  const entries = request.parentContexts ?? [];
  if (entries.length === 0) return {};

  const mentioned = storedIds(entries.flatMap((e) => [e.childId, e.parentId]));
  // Contexts the caller may not link (tenancy enforce) are treated as absent.
  const existing = (await writableExisting(tx, await existingNodeIds(tx, { Context: mentioned }))).Context;

  // The parents of every context involved, transitively. Children are included so that a
  // link already stored for a child is visible to the duplicate check.
  const parentsOf = new Map<number, Set<number>>();
  const addLink = ({ childId, parentId }: ParentLink) => {
    const parents = parentsOf.get(childId) ?? new Set<number>();
    parents.add(parentId);
    parentsOf.set(childId, parents);
  };
  for (const link of await ancestorLinks(tx, [...existing])) addLink(link);

  const added: ParentLink[] = [];
  entries.forEach((entry, i) => {
    const at = `parent_contexts[${i}]`;
    if (entry.childId === undefined || entry.parentId === undefined) {
      throw invalidArgument(
        `Both child_id and parent_id must be specified (${at}: child_id ${entry.childId ?? 'unset'}, parent_id ${entry.parentId ?? 'unset'}).`,
      );
    }
    const childId = storedIdOf(entry.childId);
    const parentId = storedIdOf(entry.parentId);
    if (childId === null || parentId === null || !existing.has(childId) || !existing.has(parentId)) {
      throw invalidArgument(
        `Given parent / child id in the parent_context cannot be found (${at}: child_id ${entry.childId}, parent_id ${entry.parentId}).`,
      );
    }
    if (childId === parentId) {
      throw invalidArgument(`A context cannot be its own parent (${at}: child_id and parent_id are both ${childId}).`);
    }
    if (reaches(parentsOf, parentId, childId)) {
      throw invalidArgument(
        `There is a cycle detected of the given relationship: context ${childId} is already an ancestor of ${parentId} (${at}).`,
      );
    }
    if (parentsOf.get(childId)?.has(parentId)) {
      throw alreadyExists(`The parent context link already exists: child_id ${childId}, parent_id ${parentId} (${at}).`);
    }
    const link = { childId, parentId };
    addLink(link);
    added.push(link);
  });

  await insertParentLinks(tx, added);
  return {};
};

/** Whether `target` is `from` or one of its ancestors, each context visited once. */
function reaches(parentsOf: Map<number, Set<number>>, from: number, target: number): boolean {
  const stack = [from];
  const visited = new Set<number>();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (visited.has(id)) continue;
    visited.add(id);
    for (const parent of parentsOf.get(id) ?? []) stack.push(parent);
  }
  return false;
}
