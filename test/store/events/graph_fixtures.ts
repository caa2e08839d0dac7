import type { Database } from '../../../src/database/database';
import { MLMD_TABLES } from '../../../src/database/tables';

/**
 * Nodes for the event and context-graph tests, written as plain rows (the node RPCs are
 * another area's; these tests must not depend on them). Types get names unique per call so
 * several fixtures can share one database.
 */
export class GraphFixture {
  private typeIds: Partial<Record<'artifact' | 'execution' | 'context', number>> = {};
  private counter = 0;

  constructor(readonly db: Database) {}

  private async typeId(kind: 'artifact' | 'execution' | 'context'): Promise<number> {
    const known = this.typeIds[kind];
    if (known !== undefined) return known;
    const typeKind = { execution: 0, artifact: 1, context: 2 }[kind];
    const [id] = await this.db.transaction((tx) =>
      tx.insertReturningIds('Type', [{ name: `graph_fixture_${kind}_${Math.random().toString(36).slice(2)}`, type_kind: typeKind }]),
    );
    this.typeIds[kind] = id;
    return id;
  }

  private async nodes(kind: 'artifact' | 'execution' | 'context', count: number): Promise<number[]> {
    const typeId = await this.typeId(kind);
    const table = ({ artifact: 'Artifact', execution: 'Execution', context: 'Context' } as const)[kind];
    const rows = Array.from({ length: count }, () => {
      const n = ++this.counter;
      const row: Record<string, unknown> = {
        type_id: typeId,
        name: `${kind}-${n}`,
        create_time_since_epoch: 1_000 + n,
        last_update_time_since_epoch: 1_000 + n,
      };
      if (kind === 'artifact') row.uri = `/uri/${n}`;
      return row;
    });
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += 2_000) {
      ids.push(...(await this.db.transaction((tx) => tx.insertReturningIds(table, rows.slice(i, i + 2_000)))));
    }
    return ids;
  }

  artifacts = (count: number) => this.nodes('artifact', count);
  executions = (count: number) => this.nodes('execution', count);
  contexts = (count: number) => this.nodes('context', count);
}

/** Rows in every MLMD table, to prove a rejected call left the database as it was. */
export async function rowCounts(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of MLMD_TABLES) {
    const [{ n }] = (await db.knex(db.table(table)).count({ n: '*' })) as { n: number | string }[];
    counts[table] = Number(n);
  }
  return counts;
}

/** Counts the statements the database receives while `work` runs. */
export async function countStatements(db: Database, work: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const listener = () => {
    count++;
  };
  db.knex.on('query', listener);
  try {
    await work();
  } finally {
    db.knex.removeListener('query', listener);
  }
  return count;
}

export const big = (n: number) => BigInt(n);
