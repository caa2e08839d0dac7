import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import { storedIdOf } from '../../repositories/stored_ids';
import { invalidArgument, notFound, type MlmdError } from '../../errors';

export interface ContextUpsertOptions {
  /** `reuse_context_if_already_exist`: a context without id reuses the stored (type_id, name). */
  reuseIfAlreadyExists: boolean;
  /** `force_reuse_context` (PutExecution only): a context with id is only checked to exist. */
  forceReuseWithId: boolean;
}

/** What one request context resolves to before anything is written. */
export type ContextResolution = { kind: 'existing'; id: bigint } | { kind: 'write'; writeIndex: number };

/** How an upsert request's contexts resolve, and what it must write. */
export interface ContextUpsertPlan {
  /** Index-aligned with the request. */
  resolutions: ContextResolution[];
  /** The contexts to hand to putNodes, and where each sits in the request. */
  writes: Context[];
  writeRequestIndex: number[];
  /** The (type_id, name) pairs created for reuse, which a concurrent transaction may win. */
  toCreate: { typeId: number; name: string }[];
  firstError?: MlmdError;
}

/**
 * Resolves each context to a stored id (force-reused or reused) or a write, from what is
 * stored: `existing` holds the force-reused ids that exist, `reusable` the stored contexts
 * by `nameKey`. No reads, no writes.
 */
export function planContextUpserts(
  contexts: readonly Context[],
  options: ContextUpsertOptions,
  existing: ReadonlySet<number>,
  reusable: ReadonlyMap<string, bigint>,
  nameKey: (typeId: number, name: string) => string,
): ContextUpsertPlan {
  // Request order, as upstream processes them. The first failure is remembered and raised
  // once the contexts before it have been written (and have had their say), so the error a
  // client sees is the one upstream's one-by-one processing would have met first.
  const resolutions: ContextResolution[] = [];
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
      resolutions.push({ kind: 'existing', id: context.id });
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
      const id = reusable.get(key);
      if (id !== undefined) {
        // Reused as stored: the request's properties and external_id are not applied.
        resolutions.push({ kind: 'existing', id });
        continue;
      }
      // A pair new to the database is created by its first occurrence and shared by later ones.
      const earlier = createdBy.get(key);
      if (earlier !== undefined) {
        resolutions.push({ kind: 'write', writeIndex: earlier });
        continue;
      }
      createdBy.set(key, writes.length);
      toCreate.push({ typeId, name: context.name });
    }
    resolutions.push({ kind: 'write', writeIndex: writes.length });
    writes.push(context);
    writeRequestIndex.push(i);
  }

  return { resolutions, writes, writeRequestIndex, toCreate, firstError };
}
