import type { Database } from '../../../src/database/database';
import { insertType, type NodeKind } from '../../support/store_assertions';

/**
 * Nodes for the event and context-graph tests, written as plain rows (the node RPCs are
 * another area's; these tests must not depend on them). Types get names unique per call so
 * several fixtures can share one database.
 */
export class GraphFixture {
  private typeIds: Partial<Record<NodeKind, number>> = {};
  private counter = 0;

  constructor(readonly db: Database) {}

  private async typeId(kind: NodeKind): Promise<number> {
    this.typeIds[kind] ??= Number((await insertType(this.db, kind, {}, { name: `graph_fixture_${kind}_${Math.random().toString(36).slice(2)}` })).id);
    return this.typeIds[kind]!;
  }

  private async nodes(kind: NodeKind, count: number): Promise<number[]> {
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
