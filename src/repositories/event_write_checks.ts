import type { Tx } from '../database/database';
import { eventKeyString, existingEventKeys, type EventKey } from './event_repository';
import { existingNodeIds, type ExistingNodeIds } from './node_existence';
import { selectRows } from './select_rows';
import { EVENT_KEYS_PER_LOOKUP, MAX_IDS_PER_STATEMENT } from './statement_limits';

export interface EventWriteFacts {
  /** Which of the named artifacts and executions exist. */
  existing: ExistingNodeIds;
  /** Which of the candidate events are stored already, as eventKeyString()s. */
  storedKeys: Set<string>;
}

interface FactRow {
  node_table: 'Artifact' | 'Execution' | 'Event';
  id: number | string;
  execution_id: number | string | null;
  type: number | string | null;
}

/**
 * What PutEvents checks before it writes, in ONE statement where the request fits one: the
 * named nodes that exist, and the stored events among the candidates (rows matching both id
 * lists; the exact triples are checked here), as branches of one UNION ALL. Two lookups, two
 * round trips, were the first half of a PutEvents. Beyond one statement's id lists, the two
 * lookups run apart, each in chunks.
 */
export async function eventWriteFacts(tx: Tx, nodes: { Artifact: readonly number[]; Execution: readonly number[] }, candidates: readonly EventKey[]): Promise<EventWriteFacts> {
  const artifacts = [...new Set(nodes.Artifact)];
  const executions = [...new Set(nodes.Execution)];
  const keyArtifacts = [...new Set(candidates.map((k) => k.artifactId))];
  const keyExecutions = [...new Set(candidates.map((k) => k.executionId))];
  if (artifacts.length + executions.length > MAX_IDS_PER_STATEMENT || candidates.length > EVENT_KEYS_PER_LOOKUP) {
    return {
      existing: await existingNodeIds(tx, { Artifact: artifacts, Execution: executions }),
      storedKeys: candidates.length > 0 ? await existingEventKeys(tx, [...candidates]) : new Set(),
    };
  }
  const existing: ExistingNodeIds = { Artifact: new Set(), Execution: new Set(), Context: new Set() };
  const storedKeys = new Set<string>();
  const q = tx.dialect === 'mysql' ? '`' : '"';
  const list = (ids: readonly number[]) => `(${'?,'.repeat(ids.length - 1)}?)`;
  // Typed, so PostgreSQL can match the node branches' empty columns with the event branch's.
  const noId = tx.dialect === 'mysql' ? 'CAST(NULL AS SIGNED)' : 'CAST(NULL AS INTEGER)';
  const branches: string[] = [];
  const bindings: number[] = [];
  // The labels are constants of ours, inlined: PostgreSQL cannot type a bare bound parameter in a select list.
  for (const [table, ids] of [['Artifact', artifacts], ['Execution', executions]] as const) {
    if (ids.length === 0) continue;
    branches.push(`SELECT '${table}' AS node_table, ${q}id${q} AS id, ${noId} AS execution_id, ${noId} AS type FROM ${q}${tx.table(table)}${q} WHERE ${q}id${q} IN ${list(ids)}`);
    bindings.push(...ids);
  }
  if (candidates.length > 0) {
    branches.push(
      `SELECT 'Event' AS node_table, ${q}artifact_id${q} AS id, ${q}execution_id${q} AS execution_id, ${q}type${q} AS type FROM ${q}${tx.table('Event')}${q} ` +
        `WHERE ${q}artifact_id${q} IN ${list(keyArtifacts)} AND ${q}execution_id${q} IN ${list(keyExecutions)}`,
    );
    bindings.push(...keyArtifacts, ...keyExecutions);
  }
  if (branches.length === 0) return { existing, storedKeys };
  for (const row of await selectRows<FactRow>(tx, branches.join(' UNION ALL '), bindings)) {
    if (row.node_table === 'Event') storedKeys.add(eventKeyString({ artifactId: Number(row.id), executionId: Number(row.execution_id), type: Number(row.type) }));
    else existing[row.node_table].add(Number(row.id));
  }
  return { existing, storedKeys };
}
