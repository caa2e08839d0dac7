import { read, write, type RpcTable } from '../rpc';
import { getArtifactsByContext, getExecutionsByContext } from './context_members';
import {
  getChildrenContextsByContext,
  getChildrenContextsByContexts,
  getParentContextsByContext,
  getParentContextsByContexts,
} from './context_hierarchy';
import { getContextsByArtifact, getContextsByExecution } from './get_contexts_by_member';
import { putAttributionsAndAssociations } from './put_attributions_and_associations';
import { putParentContexts } from './put_parent_contexts';

/** The context graph: membership and hierarchy writes and reads (contract §7, §8.6). */
export const contextGraphRpcs: RpcTable = {
  putAttributionsAndAssociations: write(putAttributionsAndAssociations),
  putParentContexts: write(putParentContexts),
  getContextsByArtifact: read(getContextsByArtifact),
  getContextsByExecution: read(getContextsByExecution),
  getArtifactsByContext: read(getArtifactsByContext),
  getExecutionsByContext: read(getExecutionsByContext),
  getParentContextsByContext: read(getParentContextsByContext),
  getChildrenContextsByContext: read(getChildrenContextsByContext),
  getParentContextsByContexts: read(getParentContextsByContexts),
  getChildrenContextsByContexts: read(getChildrenContextsByContexts),
};
