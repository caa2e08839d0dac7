import type { Knex } from 'knex';
import type { TableName } from '../../src/database/tables';

/** Every column of the schema that names a node or an event, with the table it names. */
export const REFERENCES: ReadonlyArray<{ table: TableName; column: string; target: TableName }> = [
  { table: 'Event', column: 'artifact_id', target: 'Artifact' },
  { table: 'Event', column: 'execution_id', target: 'Execution' },
  { table: 'EventPath', column: 'event_id', target: 'Event' },
  { table: 'Attribution', column: 'context_id', target: 'Context' },
  { table: 'Attribution', column: 'artifact_id', target: 'Artifact' },
  { table: 'Association', column: 'context_id', target: 'Context' },
  { table: 'Association', column: 'execution_id', target: 'Execution' },
  { table: 'ParentContext', column: 'context_id', target: 'Context' },
  { table: 'ParentContext', column: 'parent_context_id', target: 'Context' },
  { table: 'ArtifactProperty', column: 'artifact_id', target: 'Artifact' },
  { table: 'ExecutionProperty', column: 'execution_id', target: 'Execution' },
  { table: 'ContextProperty', column: 'context_id', target: 'Context' },
];

/** "Event.artifact_id → Artifact: 2" for every reference whose target row is missing; empty when none. */
export async function danglingReferences(knex: Knex, physical: (t: TableName) => string): Promise<string[]> {
  const found: string[] = [];
  for (const { table, column, target } of REFERENCES) {
    const [{ n }] = (await knex
      .from({ r: physical(table) })
      .whereNotExists(knex.from({ t: physical(target) }).select(knex.raw('1')).whereRaw('?? = ??', ['t.id', `r.${column}`]))
      .count({ n: '*' })) as { n: unknown }[];
    if (Number(n) > 0) found.push(`${table}.${column} → ${target}: ${Number(n)}`);
  }
  return found;
}
