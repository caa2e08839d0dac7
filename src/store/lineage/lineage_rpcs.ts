import { read, type RpcTable } from '../rpc';
import { getLineageGraph } from './lineage_graph';
import { getLineageSubgraph } from './lineage_subgraph';

export const lineageRpcs: RpcTable = {
  getLineageSubgraph: read<'getLineageSubgraph'>(async (tx, req) => ({
    lineageSubgraph: await getLineageSubgraph(tx, req.lineageSubgraphQueryOptions, req.readMask),
  })),
  getLineageGraph: read<'getLineageGraph'>(async (tx, req) => ({ subgraph: await getLineageGraph(tx, req.options) })),
};
