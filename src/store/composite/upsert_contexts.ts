import type { Tx } from '../../database/database';
import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import { existingNodeIds, storedIdOf } from '../../repositories/node_existence';
import { matchNodesByTypeAndName } from '../../repositories/node_key_match';
import { nodesWithTypeAndNames } from '../../repositories/node_write_repository';
import { aborted, invalidArgument, isMlmdError, notFound, RetryTransaction, StatusCode, type MlmdError } from '../../errors';
import { isUniqueViolation } from '../../repositories/write_conflicts';
import { putNodes } from '../nodes/put_nodes';
import { textComparisonKey } from '../../repositories/text_comparison';

export interface ContextUpsertOptions {
  /** `reuse_context_if_already_exist`: a context without id reuses the stored (type_id, name). */
  reuseIfAlreadyExists: boolean;
  /** `force_reuse_context` (PutExecution only): a context with id is only checked to exist. */
  forceReuseWithId: boolean;
}

/** What one request context resolves to before anything is written. */
type ContextPlan = { kind: 'existing'; id: bigint } | { kind: 'write'; writeIndex: number };

/** Identity of a (type_id, name) pair as the unique index sees it. */
const nameKeyFor =
  (dialect: Tx['dialect']) =>
  (typeId: number, name: string): string =>
    `${typeId}\u0000${textComparisonKey(dialect, name)}`;

/** Upstream's answer to a lost creation race, which its clients retry; we retry it ourselves. */
function creationRace(): RetryTransaction {
  return new RetryTransaction(
    aborted('Concurrent creation of the same context at the first time. Retry the transaction to reuse the context.'),
  );
}

/**
 * The context step of PutExecution / PutLineageSubgraph (contract §8.3.4 step 5, §5.10):
 * resolves every request context to an id, index-aligned. Force-reused and reused contexts
 * are never written; contexts with an id are updated as a whole, which leaves the row alone
 * when nothing differs (so the run contexts every Kubeflow task re-sends cause no UPDATE and
 * no row lock); the rest are created. Statements: one existence check, one reuse lookup and
 * one putNodes, whatever the number of contexts.
 */
export async function upsertContexts(tx: Tx, contexts: readonly Context[], options: ContextUpsertOptions): Promise<bigint[]> {
  if (contexts.length === 0) return [];
  const nameKey = nameKeyFor(tx.dialect);
  const forcedIds = options.forceReuseWithId
    ? contexts.map((c) => (c.id === undefined ? null : storedIdOf(c.id))).filter((id): id is number => id !== null)
    : [];
  const existing = forcedIds.length > 0 ? (await existingNodeIds(tx, { Context: forcedIds })).Context : new Set<number>();

  // Reuse: stored contexts by (type_id, name), looked up for every candidate at once.
  const candidates: { typeId: number; name: string }[] = [];
  if (options.reuseIfAlreadyExists) {
    for (const c of contexts) {
      const typeId = c.typeId === undefined ? null : storedIdOf(c.typeId);
      if (c.id === undefined && typeId !== null && c.name !== undefined) candidates.push({ typeId, name: c.name });
    }
  }
  const stored = new Map<string, bigint>();
  if (candidates.length > 0) {
    const rows = await nodesWithTypeAndNames(
      tx,
      'context',
      candidates.map((p) => [p.typeId, p.name]),
    );
    for (const row of rows) stored.set(nameKey(row.type_id, row.name!), BigInt(row.id));
    // A stored row that no candidate's key matches means the collation equates strings the
    // key tells apart (accents, trailing spaces): let the database pair them up itself.
    const candidateKeys = new Set(candidates.map((c) => nameKey(c.typeId, c.name)));
    if (rows.some((row) => !candidateKeys.has(nameKey(row.type_id, row.name!)))) {
      const matched = await matchNodesByTypeAndName(tx, 'context', candidates);
      matched.forEach((id, k) => stored.set(nameKey(candidates[k].typeId, candidates[k].name), BigInt(id)));
    }
  }

  // Request order, as upstream processes them. The first failure is remembered and raised
  // once the contexts before it have been written (and have had their say), so the error a
  // client sees is the one upstream's one-by-one processing would have met first.
  const plans: ContextPlan[] = [];
  const writes: Context[] = [];
  const writeRequestIndex: number[] = [];
  const createdBy = new Map<string, number>();
  const toCreate: { typeId: number; name: string }[] = [];
  let firstError: MlmdError | undefined;
  for (let i = 0; i < contexts.length; i++) {
    const context = contexts[i];
    const where = `contexts[${i}]`;
    if (options.forceReuseWithId && context.id !== undefined) {
      const id = storedIdOf(context.id);
      if (id === null || !existing.has(id)) {
        firstError = notFound(`Context with ID ${context.id} was not found in MLMD (${where}, force_reuse_context is set).`);
        break;
      }
      plans.push({ kind: 'existing', id: context.id });
      continue;
    }
    // Upstream asks for both even when the context carries an id (quirk B38).
    if (context.typeId === undefined) {
      firstError = invalidArgument(`Context is missing a type_id: ${where} has none.`);
      break;
    }
    if (context.name === undefined) {
      firstError = invalidArgument(`Context is missing a name: ${where} has none.`);
      break;
    }
    const typeId = storedIdOf(context.typeId);
    if (options.reuseIfAlreadyExists && context.id === undefined && typeId !== null) {
      const key = nameKey(typeId, context.name);
      const id = stored.get(key);
      if (id !== undefined) {
        // Reused as stored: the request's properties and external_id are not applied.
        plans.push({ kind: 'existing', id });
        continue;
      }
      // A pair new to the database is created by its first occurrence and shared by later ones.
      const earlier = createdBy.get(key);
      if (earlier !== undefined) {
        plans.push({ kind: 'write', writeIndex: earlier });
        continue;
      }
      createdBy.set(key, writes.length);
      toCreate.push({ typeId, name: context.name });
    }
    plans.push({ kind: 'write', writeIndex: writes.length });
    writes.push(context);
    writeRequestIndex.push(i);
  }

  let written: bigint[];
  try {
    written = await putNodes(tx, 'context', writes, { fieldOf: (k) => `contexts[${writeRequestIndex[k]}]` });
  } catch (error) {
    if (toCreate.length > 0 && (await lostCreationRace(tx, error, toCreate))) throw creationRace();
    throw error;
  }
  if (firstError) throw firstError;
  return plans.map((plan) => (plan.kind === 'existing' ? plan.id : written[plan.writeIndex]));
}

/**
 * Whether a failed create of contexts-to-reuse means another transaction created one of them
 * after our lookup. On MySQL/MariaDB the INSERT waits for that transaction and then fails
 * with a unique violation (our snapshot cannot see its row); on PostgreSQL (READ COMMITTED)
 * the uniqueness pre-check may already see the new row and answer ALREADY_EXISTS, and a
 * fresh lookup confirms it. A run of the whole transaction then reuses the winner's context.
 */
async function lostCreationRace(tx: Tx, error: unknown, created: { typeId: number; name: string }[]): Promise<boolean> {
  if (!isMlmdError(error)) return isUniqueViolation(tx, error);
  if (error.code !== StatusCode.ALREADY_EXISTS) return false;
  const now = await nodesWithTypeAndNames(
    tx,
    'context',
    created.map((p) => [p.typeId, p.name]),
  );
  return now.length > 0;
}
