import type { Tx } from '../../database/database';
import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import { existingNodeIds } from '../../repositories/node_existence';
import { storedIds } from '../../repositories/stored_ids';
import { planContextUpserts, type ContextUpsertOptions } from './context_upsert_plan';
import { writeContextPlan } from './context_plan_writes';
import { findReusableContexts, nameKeyFor } from './reusable_contexts';
import { writableExisting, writableIds } from '../tenancy/write_access';

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
    ? storedIds(contexts.map((c) => c.id))
    : [];
  const existing =
    forcedIds.length > 0 ? (await writableExisting(tx, await existingNodeIds(tx, { Context: forcedIds }))).Context : new Set<number>();
  const reusable = options.reuseIfAlreadyExists ? await findReusableContexts(tx, contexts, nameKey) : new Map<string, bigint>();
  // A context the caller may not write is not reused (tenancy enforce): creating its name
  // again then meets global name uniqueness, as for any name taken elsewhere.
  if (reusable.size > 0) {
    const allowed = new Set(await writableIds(tx, 'context', [...reusable.values()].map(Number)));
    for (const [key, id] of reusable) if (!allowed.has(Number(id))) reusable.delete(key);
  }

  const plan = planContextUpserts(contexts, options, existing, reusable, nameKey);
  const written = await writeContextPlan(tx, plan);
  // Raised after the writes, so the contexts before the failing one have had their say.
  if (plan.firstError) throw plan.firstError;
  return plan.resolutions.map((r) => (r.kind === 'existing' ? r.id : written[r.writeIndex]));
}
