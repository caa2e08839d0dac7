import type { Database } from '../../src/database';
import type { Graph, GraphNode, PropValue } from './evaluator';

/**
 * Writes an in-memory graph straight into the MLMD tables with Knex (no store code involved),
 * with the graph's own ids, so filter results can be compared id for id.
 */
export async function insertGraph(db: Database, graph: Graph): Promise<void> {
  const pg = db.dialect === 'postgres';
  const flag = (b: boolean) => (pg ? b : b ? 1 : 0);
  const propertyRows = (nodeColumn: string, nodes: GraphNode[]) =>
    nodes.flatMap((n) =>
      [
        ...Object.entries(n.properties).map(([name, v]) => [name, v, false] as const),
        ...Object.entries(n.customProperties).map(([name, v]) => [name, v, true] as const),
      ].map(([name, v, custom]) => ({ [nodeColumn]: n.id, name, is_custom_property: flag(custom), ...valueColumn(v, flag) })),
    );
  const nodeRow = (n: GraphNode) => ({
    id: n.id,
    type_id: n.typeId,
    name: n.name,
    external_id: n.externalId,
    create_time_since_epoch: n.createTime,
    last_update_time_since_epoch: n.lastUpdateTime,
  });
  await db.transaction(async (tx) => {
    const insert = async (table: Parameters<typeof tx.table>[0], rows: Record<string, unknown>[]) => {
      for (let i = 0; i < rows.length; i += 200) await tx.knex(tx.table(table)).insert(rows.slice(i, i + 200));
    };
    await insert('Type', graph.types.map((t) => ({ id: t.id, name: t.name, type_kind: t.typeKind })));
    await insert('Artifact', graph.artifacts.map((a) => ({ ...nodeRow(a), uri: a.uri ?? '', state: a.state ?? null })));
    await insert('Execution', graph.executions.map((e) => ({ ...nodeRow(e), last_known_state: e.lastKnownState ?? null })));
    await insert('Context', graph.contexts.map(nodeRow));
    await insert('ArtifactProperty', propertyRows('artifact_id', graph.artifacts));
    await insert('ExecutionProperty', propertyRows('execution_id', graph.executions));
    await insert('ContextProperty', propertyRows('context_id', graph.contexts));
    await insert('Attribution', graph.attributions.map((a) => ({ context_id: a.contextId, artifact_id: a.artifactId })));
    await insert('Association', graph.associations.map((a) => ({ context_id: a.contextId, execution_id: a.executionId })));
    await insert('ParentContext', graph.parentContexts.map((p) => ({ context_id: p.childId, parent_context_id: p.parentId })));
    await insert(
      'Event',
      graph.events.map((e) => ({
        artifact_id: e.artifactId,
        execution_id: e.executionId,
        type: e.type,
        milliseconds_since_epoch: e.millisecondsSinceEpoch,
      })),
    );
  });
}

function valueColumn(v: PropValue, flag: (b: boolean) => boolean | number): Record<string, unknown> {
  if ('int' in v) return { int_value: v.int.toString() };
  if ('double' in v) return { double_value: v.double };
  if ('string' in v) return { string_value: v.string };
  return { bool_value: flag(v.bool) };
}

/** Removes every row the graph added, leaving the start-up simple types. */
export async function clearGraph(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    for (const table of [
      'Event',
      'ParentContext',
      'Association',
      'Attribution',
      'ContextProperty',
      'ExecutionProperty',
      'ArtifactProperty',
      'Context',
      'Execution',
      'Artifact',
    ] as const) {
      await tx.knex(tx.table(table)).del();
    }
    await tx.knex(tx.table('Type')).where('id', '>=', 100).del();
  });
}

/** A cheap fingerprint of every table the filter could touch, to prove filters write nothing. */
export async function tableFingerprint(db: Database): Promise<string> {
  const counts: string[] = [];
  for (const table of ['Type', 'Artifact', 'ArtifactProperty', 'Execution', 'ExecutionProperty', 'Context', 'ContextProperty', 'Event', 'Attribution', 'Association', 'ParentContext'] as const) {
    const [{ n }] = await db.knex(db.table(table)).count({ n: '*' });
    counts.push(`${table}=${Number(n)}`);
  }
  return counts.join(',');
}
