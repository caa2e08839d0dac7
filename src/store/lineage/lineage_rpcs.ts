import type { Tx } from '../../database/database';
import { matchingNodeIds } from '../../filter';
import { getLineageGraph, type LineageGraphDeps } from '../../lineage/lineage_graph';
import { getLineageSubgraph } from '../../lineage/lineage_subgraph';
import type { EventEdgeRow } from '../../repositories/lineage_repository';
import { eventPathSteps } from '../../repositories/event_repository';
import { listTypes } from '../../repositories/type_repository';
import { loadArtifacts, loadExecutions } from '../../repositories/node_repository';
import { eventMessage } from '../events/event_message';
import { listNodeIdPage } from '../paging/list_node_page';
import { read, type RpcTable } from '../rpc';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_TYPES, type TypeKindSpec } from '../types/type_kind_spec';
import { typeMessage } from '../types/type_message';

/** Lineage responses carry every type of a kind, without base_type or external_id (contract §2.6). */
async function allTypes(tx: Tx, spec: TypeKindSpec) {
  const records = await listTypes(tx, spec.kind);
  return records.map((r) => typeMessage(r, spec, { externalId: false, baseType: false, structTypes: true }));
}

async function hydrateEvents(tx: Tx, rows: EventEdgeRow[]) {
  const steps = await eventPathSteps(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) =>
    eventMessage({
      id: r.id,
      artifactId: r.artifact_id,
      executionId: r.execution_id,
      type: r.type,
      millisecondsSinceEpoch: r.milliseconds_since_epoch,
      steps: steps.get(r.id) ?? [],
    }),
  );
}

/** How the lineage module reaches filters, events, nodes and types of this store. */
const deps: LineageGraphDeps = {
  matchNodes: (tx, kind, filter, options) => matchingNodeIds(tx, kind, filter, options),
  hydrateEvents,
  allArtifactTypes: (tx) => allTypes(tx, ARTIFACT_TYPES),
  allExecutionTypes: (tx) => allTypes(tx, EXECUTION_TYPES),
  allContextTypes: (tx) => allTypes(tx, CONTEXT_TYPES),
  listArtifactIds: async (tx, options) => (await listNodeIdPage(tx, 'Artifact', options)).ids,
  loadArtifacts: (tx, ids) => loadArtifacts(tx, ids),
  loadExecutions: (tx, ids) => loadExecutions(tx, ids),
};

export const lineageRpcs: RpcTable = {
  getLineageSubgraph: read<'getLineageSubgraph'>(async (tx, req) => ({
    lineageSubgraph: await getLineageSubgraph(tx, req.lineageSubgraphQueryOptions, req.readMask, deps),
  })),
  getLineageGraph: read<'getLineageGraph'>(async (tx, req) => ({ subgraph: await getLineageGraph(tx, req.options, deps) })),
};
