import { createHash } from 'node:crypto';
import type { Tx } from '../database/database';
import type { TypeKind } from '../database/schema/simple_types';

/** First key of the two-int advisory-lock space for type identities: "MLMT" in ASCII. */
const PG_TYPE_LOCK_NAMESPACE = 0x4d4c4d54;

/** The identity of a type: upstream has no unique key on it, so creation must be serialised. */
export interface TypeIdentity {
  kind: TypeKind;
  name: string;
  /** Absent or empty = unversioned. */
  version?: string;
}

function identityHash(identity: TypeIdentity): number {
  const digest = createHash('sha256').update(`${identity.kind}\u0000${identity.name}\u0000${identity.version ?? ''}`).digest();
  return digest.readInt32BE(0);
}

/**
 * Makes concurrent upserts of the same (kind, name, version) run one after the other, so two
 * clients creating a new type at the same moment get one type, not two (upstream's `Type`
 * table has no unique key for this, and its check-then-insert duplicates under races).
 * On MySQL/MariaDB (REPEATABLE READ) plain reads keep the snapshot of the transaction's first
 * read, so reads made after the lock to decide what to write must be locking reads (which see
 * the winner's rows). Held until commit or rollback. One statement whatever the number of identities.
 *
 * - PostgreSQL: transaction-scoped advisory locks, one per identity hash, taken in sorted order.
 * - MySQL/MariaDB: a row lock on the single MLMDEnv row (GET_LOCK would outlive a rolled-back
 *   transaction on a pooled connection); this serialises type writes, which are rare and short.
 * - SQLite: writers are already serialised by the database itself.
 */
export async function lockTypeIdentities(tx: Tx, identities: readonly TypeIdentity[]): Promise<void> {
  if (identities.length === 0) return;
  switch (tx.dialect) {
    case 'postgres': {
      const keys = [...new Set(identities.map(identityHash))].sort((a, b) => a - b);
      await tx.knex.raw(
        'SELECT count(pg_advisory_xact_lock(?, k.key)) FROM (SELECT unnest(?::int[]) AS key ORDER BY 1) AS k',
        [PG_TYPE_LOCK_NAMESPACE, keys],
      );
      return;
    }
    case 'mysql':
      // Sent with the unit's next statement (the locked re-read that follows), one round trip less.
      await tx.withNextStatement(tx.knex(tx.table('MLMDEnv')).select('schema_version').forUpdate().toString());
      return;
    case 'sqlite':
      return;
  }
}
