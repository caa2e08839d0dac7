import type { RpcMethod } from '../store/rpc';

/**
 * Reads whose cost the request bounds: index lookups of the ids, names or URIs it lists, or of
 * the registry's types. With the request itself small (MAX_BOUNDED_READ_REQUEST_BYTES), such a
 * read takes well under a millisecond of SQLite, less than the two thread hops a store thread
 * costs it (about 80 µs of CPU for each postMessage and a sleeping thread's wake-up on top, on a
 * 2-core VM), so the SQLite dispatcher runs it on the event loop. Everything whose cost grows
 * with the database instead (lists, filters, contexts' members and children, lineage) stays in
 * the store threads, where a heavy query never holds the event loop.
 */
export const BOUNDED_READS: ReadonlySet<RpcMethod> = new Set<RpcMethod>([
  'getArtifactType',
  'getExecutionType',
  'getContextType',
  'getArtifactTypesById',
  'getExecutionTypesById',
  'getContextTypesById',
  'getArtifactTypes',
  'getExecutionTypes',
  'getContextTypes',
  'getArtifactTypesByExternalIds',
  'getExecutionTypesByExternalIds',
  'getContextTypesByExternalIds',
  'getArtifactsById',
  'getExecutionsById',
  'getContextsById',
  'getArtifactsByExternalIds',
  'getExecutionsByExternalIds',
  'getContextsByExternalIds',
  'getArtifactByTypeAndName',
  'getExecutionByTypeAndName',
  'getContextByTypeAndName',
  'getArtifactsByUri',
  'getEventsByArtifactIDs',
  'getEventsByExecutionIDs',
  'getContextsByArtifact',
  'getContextsByExecution',
  'getParentContextsByContext',
  'getParentContextsByContexts',
]);

/** About 500 small ids: mlmd_bench's and Kubeflow's by-id reads (100 ids) are far below it. */
export const MAX_BOUNDED_READ_REQUEST_BYTES = 4096;

/** Whether the call, its request still in its wire encoding, may run on the event loop. */
export function isBoundedRead(method: RpcMethod, request: unknown): request is Uint8Array {
  return request instanceof Uint8Array && request.byteLength <= MAX_BOUNDED_READ_REQUEST_BYTES && BOUNDED_READS.has(method);
}
