import { write, type RpcTable } from '../rpc';
import { putExecution } from './put_execution';
import { putLineageSubgraph } from './put_lineage_subgraph';

/** The composite writes (contract §8.3.4, §8.3.5). */
export const compositeRpcs: RpcTable = {
  putExecution: write(putExecution),
  putLineageSubgraph: write(putLineageSubgraph),
};
