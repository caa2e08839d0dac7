import type { Tx } from '../../database/database';
import { ownedNodeIds, visibleNodeIds } from '../../repositories/node_namespace_repository';
import type { NodeKind } from '../../repositories/node_kind';
import type { CallTenancy } from './call_tenancy';

type IdsByKind = Record<NodeKind, Set<number>>;

const NODE_LISTS: Record<string, NodeKind> = {
  artifacts: 'artifact',
  executions: 'execution',
  contexts: 'context',
  parentContexts: 'context',
  childrenContexts: 'context',
  artifact: 'artifact',
  execution: 'execution',
  context: 'context',
};
const ID_FIELDS: Record<string, NodeKind> = { artifactId: 'artifact', executionId: 'execution', contextId: 'context' };

function addId(into: IdsByKind, kind: NodeKind, id: unknown): void {
  if (typeof id === 'bigint' || typeof id === 'number') into[kind].add(Number(id));
}

/**
 * Every node a read's response names: its node lists, single nodes, and the ends of its
 * events and memberships, inside lineage graphs and batch maps too. Walks the generated
 * messages generically, so a read added later is audited without being listed here.
 */
function collect(value: unknown, into: IdsByKind, kind?: NodeKind): void {
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, kind);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, kind);
    return;
  }
  const record = value as Record<string, unknown>;
  if (kind) addId(into, kind, record.id);
  for (const [field, v] of Object.entries(record)) {
    if (ID_FIELDS[field] && !kind) addId(into, ID_FIELDS[field], v);
    else if (NODE_LISTS[field]) collect(v, into, NODE_LISTS[field]);
    else if (typeof v === 'object' && field !== 'properties' && field !== 'customProperties') collect(v, into);
  }
}

/**
 * Audit mode: what enforce would have hidden from this response, reported by reason. Costs
 * two statements per node kind the response names (audit mode only); a page is counted as
 * served, though enforce would have filled it with further visible nodes.
 */
export async function reportHiddenReads(tx: Tx, tenancy: CallTenancy, response: unknown): Promise<void> {
  const visibility = tenancy.readDecision;
  if (!visibility) return;
  const ids: IdsByKind = { artifact: new Set(), execution: new Set(), context: new Set() };
  collect(response, ids);
  let foreign = 0;
  let unowned = 0;
  for (const kind of ['artifact', 'execution', 'context'] as const) {
    if (ids[kind].size === 0) continue;
    const visible = await visibleNodeIds(tx, kind, ids[kind], visibility);
    const hidden = [...ids[kind]].filter((id) => !visible.has(id));
    if (hidden.length === 0) continue;
    const owned = await ownedNodeIds(tx, kind, hidden);
    foreign += owned.size;
    unowned += hidden.length - owned.size;
  }
  tenancy.report('foreign_node', foreign);
  tenancy.report('unowned_node', unowned);
}
