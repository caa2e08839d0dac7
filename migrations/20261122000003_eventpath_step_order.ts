import type { Knex } from 'knex';
import { dialectOf } from '../src/database/dialect';
import { columnExists } from '../src/database/schema/introspection';
import { physicalTableName } from '../src/database/tables';

/** Must match POSTGRES_STEP_ORDER_COLUMN in src/repositories/event_repository.ts. */
const STEP_ORDER_COLUMN = 'mlmd_ts_step_seq';

/**
 * Event paths, made exact and deterministic:
 *
 * - `EventPath.step_index` holds an int64 `Event.Path.Step.index`, but upstream declares it
 *   INT (32-bit) on MySQL and PostgreSQL, so larger indexes fail there. Widened to BIGINT
 *   (SQLite's INT already stores 64 bits).
 * - EventPath has no key or ordering column; steps are read back in storage order. SQLite
 *   (rowid) and InnoDB (hidden row id behind idx_eventpath_event_id) both give insertion
 *   order. PostgreSQL's heap order does not once freed space is reused, so there we add a
 *   sequence-backed column. Existing rows are numbered in their current heap order (what
 *   upstream's reader returns today) and every later INSERT, ours or upstream's (which names
 *   its four columns), takes the next value through the column default.
 *
 * Both changes are additive: upstream's server reads and writes the table unchanged.
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  const table = physicalTableName(dialect, 'EventPath');
  if (dialect === 'mysql') {
    const [rows] = await knex.raw(
      'SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, 'step_index'],
    );
    if (String((rows as { t: string }[])[0]?.t).toLowerCase() !== 'bigint') {
      await knex.raw('ALTER TABLE ?? MODIFY COLUMN ?? BIGINT NULL', [table, 'step_index']);
    }
  } else if (dialect === 'postgres') {
    const alterations = ['ALTER COLUMN step_index TYPE BIGINT'];
    if (!(await columnExists(knex, dialect, table, STEP_ORDER_COLUMN))) {
      alterations.unshift(`ADD COLUMN ${STEP_ORDER_COLUMN} BIGSERIAL`);
    }
    // One ALTER TABLE, so PostgreSQL rewrites the table once.
    await knex.raw(`ALTER TABLE ?? ${alterations.join(', ')}`, [table]);
  }
}

/** Narrowing step_index back could fail on stored values; the changes are kept on purpose. */
export async function down(): Promise<void> {
  throw new Error('The EventPath step_index widening and step order column are not reversible by design.');
}
