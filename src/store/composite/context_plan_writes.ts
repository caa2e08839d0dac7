import type { Tx } from '../../database/database';
import { nodesWithTypeAndNames } from '../../repositories/node_write_repository';
import { aborted, isMlmdError, RetryTransaction, StatusCode } from '../../errors';
import { isUniqueViolation } from '../../repositories/write_conflicts';
import { putNodes } from '../nodes/put_nodes';
import type { ContextUpsertPlan } from './context_upsert_plan';
import { writableIds } from '../tenancy/write_access';

/** Upstream's answer to a lost creation race, which its clients retry; we retry it ourselves. */
function creationRace(): RetryTransaction {
  return new RetryTransaction(
    aborted('Concurrent creation of the same context at the first time. Retry the transaction to reuse the context.'),
  );
}

/**
 * Writes the plan's contexts in one putNodes, answering their ids in `plan.writes` order; a
 * lost race to create a context for reuse is retried as a whole transaction.
 */
export async function writeContextPlan(tx: Tx, plan: ContextUpsertPlan): Promise<bigint[]> {
  try {
    return await putNodes(tx, 'context', plan.writes, { fieldOf: (k) => `contexts[${plan.writeRequestIndex[k]}]` });
  } catch (error) {
    if (plan.toCreate.length > 0 && (await lostCreationRace(tx, error, plan.toCreate))) throw creationRace();
    throw error;
  }
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
  // A context the caller may not write (tenancy) was not reusable anyway: its name is simply taken.
  return (await writableIds(tx, 'context', now.map((row) => Number(row.id)))).length > 0;
}
