import type { Database } from '../../database/database';
import { rebuildNodeNamespaces } from '../../repositories/node_namespace_repository';

/**
 * The operator's repair of the ownership table (tenancy): recomputes every row derived from
 * MLMD's tables, in one transaction, keeping the rows recorded for nodes created under a
 * caller's default namespace. Needed after upstream's server (which does not know the
 * table) has written to the database; idempotent, so safe to run at any time. Meant for a
 * CLI command (src/cli), not for the serving path.
 */
export function rebuildOwnership(db: Database): Promise<void> {
  return db.transaction((tx) => rebuildNodeNamespaces(tx), { readOnly: false });
}
