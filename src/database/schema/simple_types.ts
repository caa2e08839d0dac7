import type { Knex } from 'knex';
import type { Dialect } from '../config';
import { physicalTableName } from '../tables';

/** Upstream's Type.type_kind numbers. */
export enum TypeKind {
  EXECUTION = 0,
  ARTIFACT = 1,
  CONTEXT = 2,
}

/**
 * The nine built-in "simple types" every MLMD database carries (base_type targets). Upstream
 * inserts the missing ones on every connection; we do it once per start-up under the lock.
 */
export const SIMPLE_TYPES: readonly { name: string; kind: TypeKind }[] = [
  { name: 'mlmd.Dataset', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Model', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Metrics', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Statistics', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Train', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Transform', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Process', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Evaluate', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Deploy', kind: TypeKind.EXECUTION },
];

export async function insertMissingSimpleTypes(knex: Knex, dialect: Dialect): Promise<void> {
  const typeTable = physicalTableName(dialect, 'Type');
  await knex.transaction(async (trx) => {
    const existing = (await trx(typeTable)
      .select('name', 'type_kind')
      .whereIn(
        'name',
        SIMPLE_TYPES.map((t) => t.name),
      )
      .whereNull('version')) as { name: string; type_kind: number }[];
    const have = new Set(existing.map((r) => `${Number(r.type_kind)}:${r.name}`));
    const missing = SIMPLE_TYPES.filter((t) => !have.has(`${t.kind}:${t.name}`));
    // One row at a time, in the declared order, so a fresh database gets ids 1..9 as upstream's.
    for (const t of missing) {
      await trx(typeTable).insert({ name: t.name, type_kind: t.kind });
    }
  });
}
