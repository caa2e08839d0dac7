import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import { Event_Type } from '../../src/generated/ml_metadata/proto/metadata_store';
import { eventsOfWalk, eventsTouching, type EventEdgeRow, type WalkLevel } from '../../src/repositories/lineage_repository';
import { MetadataStore } from '../../src/store/metadata_store';
import { describeEachBackend } from '../support/backends';
import { MLMD_MIGRATIONS } from '../../migrations';

/**
 * eventsOfWalk (several hops of a lineage walk in one statement) at the query layer: each level
 * holds exactly the events a hop from the previous level's far ends reads, and on MariaDB the
 * statement reads events through the indexes, not by scanning the table, right after a bulk
 * load (when its statistics lag and the IN-subquery form scanned Event for every level past
 * the second: the walk got slower as the database grew).
 */
describeEachBackend('lineage walk statement', (backend) => {
  const UNRELATED = 3_000;
  const CHAIN = 10;
  let db: Database;
  let chainArtifacts: number[];

  beforeAll(async () => {
    db = await openDatabase(await backend.freshDatabaseConfig(), {
      schema: { enableUpgrade: false, downgradeToVersion: -1 },
      migrations: MLMD_MIGRATIONS,
      poolMax: 2,
    });
    const store = new MetadataStore(db);
    const typeId = (await store.call('putArtifactType', { artifactType: { name: 'w_artifact' } })).typeId!;
    const executionTypeId = (await store.call('putExecutionType', { executionType: { name: 'w_execution' } })).typeId!;
    const artifacts = async (n: number) => (await store.call('putArtifacts', { artifacts: Array.from({ length: n }, () => ({ typeId })) })).artifactIds!;
    const executions = async (n: number) =>
      (await store.call('putExecutions', { executions: Array.from({ length: n }, () => ({ typeId: executionTypeId })) })).executionIds!;
    // Many events that no walk from the chain reaches, one execution each.
    for (let done = 0; done < UNRELATED; done += 500) {
      const [as, xs] = [await artifacts(500), await executions(500)];
      await store.call('putEvents', { events: xs.map((executionId, i) => ({ artifactId: as[i], executionId, type: Event_Type.INPUT })) });
    }
    // a0 -> x0 -> a1 -> ... -> a10, plus a side input into x4 (a level may hold several rows per node).
    const as = await artifacts(CHAIN + 2);
    const xs = await executions(CHAIN);
    await store.call('putEvents', {
      events: [
        ...xs.flatMap((executionId, i) => [
          { artifactId: as[i], executionId, type: Event_Type.INPUT },
          { artifactId: as[i + 1], executionId, type: Event_Type.OUTPUT },
        ]),
        { artifactId: as[CHAIN + 1], executionId: xs[4], type: Event_Type.INPUT },
      ],
    });
    chainArtifacts = as.map(Number);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  const levelsFrom = (count: number): WalkLevel[] =>
    Array.from({ length: count }, (_, j) => ({ side: j % 2 === 0 ? 'artifact_id' : 'execution_id' }));

  it('gives each level exactly the events a hop from the previous level reads', async () => {
    const levels = levelsFrom(8);
    const [walked, expected] = await db.transaction(async (tx) => {
      const walkedRows = await eventsOfWalk(tx, [chainArtifacts[2]], levels);
      const hopRows: EventEdgeRow[][] = [];
      let near = [chainArtifacts[2]];
      for (const level of levels) {
        const rows = await eventsTouching(tx, level.side, near);
        hopRows.push(rows);
        const far = level.side === 'artifact_id' ? 'execution_id' : 'artifact_id';
        near = [...new Set(rows.map((r) => r[far]))];
      }
      return [walkedRows, hopRows];
    });
    expect(walked).toEqual(expected);
    // Undirected from a2, each level also reaching back: a2's 2 events, x1's and x2's 4, a1–a3's 6,
    // …, a0 has one, x4 its side input, a10 (level 8) is past the end.
    expect(walked.map((l) => l.length)).toEqual([2, 4, 6, 8, 9, 11, 12, 13]);
  });

  it.runIf(backend.name === 'mariadb')('reads events through the indexes on MariaDB, whatever its statistics say', async () => {
    const rowsReadByScans = await db.transaction(async (tx) => {
      const scanned = async () => {
        const [rows] = (await tx.knex.raw("SHOW SESSION STATUS LIKE 'Handler_read_rnd_next'")) as [{ Value: string }[]];
        return Number(rows[0].Value);
      };
      const before = await scanned();
      await eventsOfWalk(tx, [chainArtifacts[0]], levelsFrom(4));
      return (await scanned()) - before;
    });
    // Scanning Event once would read UNRELATED rows; the walk's own temporary tables hold a few dozen.
    expect(rowsReadByScans).toBeLessThan(UNRELATED / 10);
  });

  it.runIf(backend.name === 'postgres')('plans no sequential scan of the events on PostgreSQL', async () => {
    const plan = await db.transaction(async (tx) => {
      let statement: { sql: string; bindings: unknown[] } | undefined;
      const capture = (q: { sql: string; bindings: unknown[] }) => (statement = q);
      tx.knex.client.on('query', capture);
      try {
        await eventsOfWalk(tx, [chainArtifacts[0]], levelsFrom(4));
      } finally {
        tx.knex.client.removeListener('query', capture);
      }
      const { rows } = (await tx.knex.raw(`EXPLAIN ${statement!.sql.replace(/\$\d+/g, '?')}`, statement!.bindings as never)) as { rows: { 'QUERY PLAN': string }[] };
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    expect(plan).not.toMatch(/Seq Scan on event/);
  });
});
