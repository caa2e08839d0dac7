import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/database';
import type { NodeKind } from '../../src/filter/ast';
import { compileFilter } from '../../src/filter';
import { matchingNodeIds } from '../../src/repositories/node_match_repository';
import { MlmdError, StatusCode } from '../../src/errors';
import { listNodeIdPage } from '../../src/store/paging/list_node_page';
import { describeEachBackend } from '../support/backends';
import { arbFilter, arbGraph } from './arbitraries';
import { CORPUS } from './corpus';
import { evaluateFilter, type Graph } from './evaluator';
import { arbHostileFilter, HUGE_FILTERS } from './fuzz_inputs';
import { clearGraph, insertGraph, tableFingerprint } from './graph_fixture';
import { EXPECTED, WORLD } from './world';
import { MLMD_MIGRATIONS } from '../../migrations';

const KINDS: NodeKind[] = ['artifact', 'execution', 'context'];

describeEachBackend('filter_query through SQL', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase(await backend.freshDatabaseConfig(), { schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS, poolMax: 2 });
    await insertGraph(db, WORLD);
  });
  afterAll(() => db?.close());

  const ids = (kind: NodeKind, filter: string) => db.transaction((tx) => matchingNodeIds(tx, kind, filter), { readOnly: true });

  it('answers every hand-checked filter with the expected ids, as the evaluator does', async () => {
    for (const { kind, filter, ids: expected, byDialect } of EXPECTED) {
      const want = byDialect?.[backend.dialect] ?? expected;
      expect({ filter, ids: await ids(kind, filter) }).toEqual({ filter, ids: want });
      expect({ filter, ids: evaluateFilter(WORLD, compileFilter(kind, filter), backend.dialect) }).toEqual({ filter, ids: want });
    }
  });

  it('runs every recorded filter on each of its node kinds, agreeing with the evaluator', async () => {
    for (const entry of CORPUS) {
      for (const kind of entry.kinds) {
        const expected = evaluateFilter(WORLD, compileFilter(kind, entry.filter), backend.dialect);
        expect({ kind, filter: entry.filter, ids: await ids(kind, entry.filter) }).toEqual({ kind, filter: entry.filter, ids: expected });
      }
    }
  });

  it('keeps int64 literals exact and compares across INT64 and DOUBLE', async () => {
    expect(await ids('artifact', 'id < 9223372036854775807 AND id > -9223372036854775808 AND id = 2.0')).toEqual([2]);
    expect(await ids('artifact', 'properties.accuracy.double_value < 1 AND properties.accuracy.double_value > 0')).toEqual([1, 2]);
    expect(await ids('artifact', 'custom_properties.p.int_value = 2.0 OR custom_properties.p.int_value = 0x19')).toEqual([3, 5]);
    // MariaDB rounds a bare decimal literal compared with an integer column; we must not.
    expect(await ids('execution', 'create_time_since_epoch = 9.5 OR create_time_since_epoch = 10.0000001')).toEqual([]);
    expect(await ids('execution', 'create_time_since_epoch = 10.0')).toEqual([1]);
  });

  it('accepts NULL and boolean literals in every position the language allows', async () => {
    const none: string[] = [
      'NULL = NULL',
      'NULL LIKE NULL',
      'name LIKE NULL',
      'NOT NULL',
      'NULL AND id = 1',
      "name IN (NULL, NULL)",
      'id BETWEEN NULL AND 3',
      'NULL IN (1)',
      'FALSE',
      'TRUE = FALSE',
      'custom_properties.`my:custom.property`.bool_value = NULL',
    ];
    for (const text of none) expect({ text, ids: await ids('artifact', text) }).toEqual({ text, ids: [] });
    const all = ['NULL IS NULL', 'NULL OR TRUE', 'TRUE IS NOT NULL', '(id = 1) = (id = 1)', 'NOT FALSE'];
    for (const text of all) expect({ text, ids: await ids('context', text) }).toEqual({ text, ids: [1, 2, 3, 4, 5, 6, 7] });
    expect(await ids('artifact', 'custom_properties.`my:custom.property`.bool_value IN (TRUE, NULL)')).toEqual([1]);
    expect(await ids('artifact', 'custom_properties.`my:custom.property`.bool_value < TRUE')).toEqual([3]);
  });

  it('treats hostile literal text as data', async () => {
    const before = await tableFingerprint(db);
    for (const text of [
      "name = '\\'; DROP TABLE Artifact; --'",
      'name = "x\\" OR 1=1 --"',
      "properties.`p'; DELETE FROM Type; --`.string_value = 'x'",
      "name = 'a?b' OR name = '??' OR name LIKE '%?%'",
      "name = '\\\\' OR name LIKE 'x\\\\'",
      "name = 'ünï €😀 漢'",
    ]) {
      expect(await ids('artifact', text)).toEqual([]);
    }
    expect(await tableFingerprint(db)).toBe(before);
  });

  it('answers AND-ed conditions on many aliases, beyond the semi-join budget, as the evaluator does', async () => {
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' AND ');
    const wide: [NodeKind, string][] = [
      ['artifact', `${many(8, (i) => `contexts_${i}.name LIKE '%'`)} AND type = 'Model' AND uri LIKE 'gs://%'`],
      ['artifact', `${many(6, (i) => `events_${i}.type = OUTPUT`)} AND ${many(6, (i) => `contexts_c${i}.name != 'none'`)}`],
      ['execution', `${many(8, (i) => `contexts_${i}.name = 'my_run'`)} AND custom_properties.parent_dag_id.int_value = 123 AND type = 'Trainer'`],
      ['context', `${many(5, (i) => `artifacts_${i}.uri LIKE 'gs://%'`)} AND ${many(5, (i) => `executions_${i}.last_known_state != FAILED`)}`],
    ];
    let nonEmpty = 0;
    for (const [kind, filter] of wide) {
      const expected = evaluateFilter(WORLD, compileFilter(kind, filter), backend.dialect);
      if (expected.length > 0) nonEmpty++;
      expect({ filter, ids: await ids(kind, filter) }).toEqual({ filter, ids: expected });
      const table = kind === 'artifact' ? 'Artifact' : kind === 'execution' ? 'Execution' : 'Context';
      const page = await db.transaction((tx) => listNodeIdPage(tx, table, { maxResultSize: 100, filterQuery: filter }));
      expect({ filter, ids: page.ids }).toEqual({ filter, ids: expected });
    }
    expect(nonEmpty).toBeGreaterThanOrEqual(3);
  });

  it('narrows a paged listing through filterRestriction', async () => {
    const page = await db.transaction((tx) =>
      listNodeIdPage(tx, 'Artifact', { maxResultSize: 2, filterQuery: 'state IN (LIVE, DELETED, MARKED_FOR_DELETION)' }),
    );
    expect(page.ids).toEqual([1, 4]);
    expect(page.nextPageToken).toBeTruthy();
    expect(await db.transaction((tx) => matchingNodeIds(tx, 'artifact', 'state = LIVE OR state = DELETED', { candidates: [4, 5, 99], limit: 5 }))).toEqual([4, 5]);
    expect(await db.transaction((tx) => matchingNodeIds(tx, 'execution', '', { limit: 3 }))).toEqual([1, 2, 3]);
  });

  it('never lets a hostile filter reach the database as anything but INVALID_ARGUMENT or rows', async () => {
    const before = await tableFingerprint(db);
    const numRuns = backend.name === 'sqlite' ? 3000 : 600;
    let rejected = 0;
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: arbHostileFilter, weight: 50 }, { arbitrary: fc.constantFrom(...HUGE_FILTERS), weight: 1 }), fc.constantFrom(...KINDS), async (text, kind) => {
        try {
          await ids(kind, text);
          ran++;
        } catch (e) {
          if (!(e instanceof MlmdError) || e.code !== StatusCode.INVALID_ARGUMENT) throw e;
          rejected++;
        }
      }),
      { numRuns },
    );
    expect(await tableFingerprint(db)).toBe(before);
    // The generator must reach the database for a good share of inputs, or the test proves little.
    // About 9 % of hostile inputs are valid filters; 5 % of the runs keeps a fixed 50 (47 of 600
    // was seen) from failing on an unlucky draw while still catching a generator that stopped
    // reaching the database.
    expect(ran).toBeGreaterThan(numRuns * 0.05);
    expect(rejected).toBeGreaterThan(numRuns * 0.05);
  });

  it('agrees with the evaluator on random graphs and random valid filters', async () => {
    const scratch = await openDatabase(await backend.freshDatabaseConfig(), {
      schema: { enableUpgrade: false, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS,
      poolMax: 2,
    });
    try {
      await fc.assert(
        fc.asyncProperty(
          arbGraph,
          fc.array(fc.constantFrom(...KINDS).chain((kind) => arbFilter(kind).map((filter) => ({ kind, filter }))), { minLength: 1, maxLength: 12 }),
          async (graph: Graph, filters) => {
            await clearGraph(scratch);
            await insertGraph(scratch, graph);
            for (const { kind, filter } of filters) {
              const run = () => scratch.transaction((tx) => matchingNodeIds(tx, kind, filter), { readOnly: true });
              let compiled;
              try {
                compiled = compileFilter(kind, filter);
              } catch (e) {
                // Only the documented bound on OR-coupled aliases may refuse a generated filter.
                expect((e as Error).message).toMatch(/combines more than \d+ neighbour aliases/);
                await expect(run()).rejects.toMatchObject({ code: StatusCode.INVALID_ARGUMENT });
                continue;
              }
              const expected = evaluateFilter(graph, compiled, backend.dialect);
              expect({ kind, filter, ids: await run() }).toEqual({ kind, filter, ids: expected });
              // The listings apply the same filter in place on their own query.
              const table = kind === 'artifact' ? 'Artifact' : kind === 'execution' ? 'Execution' : 'Context';
              const page = await scratch.transaction((tx) => listNodeIdPage(tx, table, { maxResultSize: 1000, filterQuery: filter }), { readOnly: true });
              expect({ kind, filter, listed: page.ids }).toEqual({ kind, filter, listed: expected });
            }
          },
        ),
        { numRuns: backend.name === 'sqlite' ? 400 : 100 },
      );
    } finally {
      await scratch.close();
    }
  });
});
