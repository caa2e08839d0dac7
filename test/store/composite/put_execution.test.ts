import { expect, it } from 'vitest';
import { Event_Type, Execution_State, type Context } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode } from '../../../src/errors';
import { isUpdate, rowCounts, statementsDuring, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { expectRejected, membersOf, suiteNodes } from './composite_fixtures';

const { INPUT, OUTPUT } = Event_Type;

describeStore('PutExecution', (ctx) => {
  const { t, artifact, context: newContext, getArtifact, getContext, getExecution } = suiteNodes(ctx);

  it('writes artifacts, execution, events, contexts and memberships, ids in request order', async () => {
    const stored = (await ctx().call('putArtifacts', { artifacts: [artifact()] })).artifactIds![0];
    const before = await rowCounts(ctx().db);
    const response = await ctx().call('putExecution', {
      execution: { typeId: t.execution, lastKnownState: Execution_State.RUNNING, properties: { p: { intValue: 1n } } },
      artifactEventPairs: [
        { artifact: artifact({ name: uniqueName('in') }), event: { type: INPUT, path: { steps: [{ key: 'in' }] } } },
        {},
        { event: { artifactId: stored, type: INPUT } },
        { artifact: artifact() },
        { artifact: artifact(), event: { type: OUTPUT, path: { steps: [{ key: 'out' }, { index: 0n }] } } },
      ],
      contexts: [newContext(), newContext({ typeId: t.run })],
    });
    const [a0, minusOne, a2, a3, a4] = response.artifactIds!;
    expect(minusOne).toBe(-1n);
    expect(a2).toBe(stored);
    expect(a0 < a3 && a3 < a4).toBe(true);
    expect(response.contextIds).toHaveLength(2);
    const after = await rowCounts(ctx().db);
    expect(after.Artifact - before.Artifact).toBe(3);
    expect(after.Execution - before.Execution).toBe(1);
    expect(after.Event - before.Event).toBe(3);
    expect(after.Context - before.Context).toBe(2);

    const { events } = await ctx().call('getEventsByExecutionIDs', { executionIds: [response.executionId!] });
    expect(events!.map((e) => [e.artifactId, e.type, e.path])).toEqual([
      [a0, INPUT, { steps: [{ key: 'in' }] }],
      [stored, INPUT, undefined],
      [a4, OUTPUT, { steps: [{ key: 'out' }, { index: 0n }] }],
    ]);
    for (const contextId of response.contextIds!) {
      const members = await membersOf(ctx().db, contextId);
      // Every real artifact of the response is attributed once; the empty pair's -1 is not
      // (deviation from quirk B27), so the context's artifacts stay readable.
      expect(members.artifacts).toEqual([stored, a0, a3, a4].map(Number).sort((x, y) => x - y));
      expect(members.executions).toEqual([Number(response.executionId)]);
      const listed = await ctx().call('getArtifactsByContext', { contextId });
      expect(listed.artifacts).toHaveLength(4);
    }
    expect((await getExecution(response.executionId!)).properties).toEqual({ p: { intValue: 1n } });
  });

  it('accepts no pairs and no contexts (test_put_execution_without_context shape)', async () => {
    const response = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: artifact() }, { artifact: artifact(), event: { type: OUTPUT } }],
    });
    expect(response.artifactIds).toHaveLength(2);
    expect(response.contextIds).toEqual([]);
    const { events } = await ctx().call('getEventsByExecutionIDs', { executionIds: [response.executionId!] });
    expect(events).toHaveLength(1);
  });

  it('updates an execution with id; force_update_time bumps its timestamp even when nothing changed', async () => {
    const { executionId } = await ctx().call('putExecution', { execution: { typeId: t.execution } });
    const created = await getExecution(executionId!);
    await new Promise((r) => setTimeout(r, 5));
    await ctx().call('putExecution', { execution: created });
    expect((await getExecution(executionId!)).lastUpdateTimeSinceEpoch).toBe(created.lastUpdateTimeSinceEpoch);
    const { sql } = await statementsDuring(ctx().db, () =>
      ctx().call('putExecution', { execution: created, options: { forceUpdateTime: true } }),
    );
    expect(sql.filter(isUpdate)).toHaveLength(1);
    expect((await getExecution(executionId!)).lastUpdateTimeSinceEpoch! > created.lastUpdateTimeSinceEpoch!).toBe(true);
    await ctx().call('putExecution', { execution: { ...created, lastKnownState: Execution_State.COMPLETE } });
    expect((await getExecution(executionId!)).lastKnownState).toBe(Execution_State.COMPLETE);
  });

  it('does not rewrite contexts that arrive unchanged (no UPDATE statement at all), but applies real changes', async () => {
    const { contextIds } = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      contexts: [newContext(), newContext({ typeId: t.run, customProperties: { namespace: { stringValue: 'kubeflow' } } })],
    });
    const [pipeline, run] = await Promise.all(contextIds!.map(getContext));
    await new Promise((r) => setTimeout(r, 5));
    // Kubeflow's task write: a new execution, an input by id, a new output artifact, and the
    // two run contexts exactly as GetContextByTypeAndName returned them.
    const input = (await ctx().call('putArtifacts', { artifacts: [artifact()] })).artifactIds![0];
    const { result, sql } = await statementsDuring(ctx().db, () =>
      ctx().call('putExecution', {
        execution: { typeId: t.execution, lastKnownState: Execution_State.RUNNING },
        artifactEventPairs: [{ event: { artifactId: input, type: INPUT } }, { artifact: artifact(), event: { type: OUTPUT } }],
        contexts: [pipeline, run],
        options: { reuseContextIfAlreadyExist: true },
      }),
    );
    expect(result.contextIds).toEqual(contextIds);
    expect(sql.filter(isUpdate)).toEqual([]);
    expect(await getContext(pipeline.id!)).toEqual(pipeline);
    expect(await getContext(run.id!)).toEqual(run);

    // The same contexts by name with the reuse option: no UPDATE either.
    const byName = await statementsDuring(ctx().db, () =>
      ctx().call('putExecution', {
        execution: { typeId: t.execution },
        contexts: [{ typeId: t.context, name: pipeline.name }, { typeId: t.run, name: run.name }],
        options: { reuseContextIfAlreadyExist: true },
      }),
    );
    expect(byName.result.contextIds).toEqual(contextIds);
    expect(byName.sql.filter(isUpdate)).toEqual([]);

    // A context with id whose content changed is updated as a whole.
    await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      contexts: [{ ...run, customProperties: { namespace: { stringValue: 'other' } } }],
    });
    const changed = await getContext(run.id!);
    expect(changed.customProperties).toEqual({ namespace: { stringValue: 'other' } });
    expect(changed.lastUpdateTimeSinceEpoch! > run.lastUpdateTimeSinceEpoch!).toBe(true);
  });

  it('reuse_context_if_already_exist: ALREADY_EXISTS without it; with it the stored context is reused as is', async () => {
    const name = uniqueName('reuse');
    const { contextIds } = await ctx().call('putContexts', { contexts: [{ typeId: t.context, name, properties: { p: { intValue: 1n } } }] });
    const stored = await getContext(contextIds![0]);
    await expectRejected(
      ctx(),
      'putExecution',
      { execution: { typeId: t.execution }, contexts: [{ typeId: t.context, name }] },
      StatusCode.ALREADY_EXISTS,
      new RegExp(name),
    );
    const response = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      contexts: [{ typeId: t.context, name, properties: { p: { intValue: 2n } }, externalId: uniqueName('ext') }],
      options: { reuseContextIfAlreadyExist: true },
    });
    expect(response.contextIds).toEqual(contextIds);
    expect(await getContext(contextIds![0])).toEqual(stored);
    expect((await membersOf(ctx().db, contextIds![0])).executions).toEqual([Number(response.executionId)]);

    // A new context named twice in one request is created once and shared.
    const fresh = uniqueName('twice');
    const twice = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      contexts: [
        { typeId: t.context, name: fresh },
        { typeId: t.context, name: fresh },
      ],
      options: { reuseContextIfAlreadyExist: true },
    });
    expect(twice.contextIds![0]).toBe(twice.contextIds![1]);
    await expectRejected(
      ctx(),
      'putExecution',
      { execution: { typeId: t.execution }, contexts: [newContext({ name: 'dup' + fresh }), newContext({ name: 'dup' + fresh })] },
      StatusCode.ALREADY_EXISTS,
    );
  });

  it('reuse matches names as the database compares them (case-insensitively on MySQL/MariaDB)', async () => {
    const name = uniqueName('CaseRun');
    const { contextIds } = await ctx().call('putContexts', { contexts: [{ typeId: t.context, name }] });
    const response = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      contexts: [{ typeId: t.context, name: name.toLowerCase() }],
      options: { reuseContextIfAlreadyExist: true },
    });
    if (ctx().backend.dialect === 'mysql') expect(response.contextIds).toEqual(contextIds);
    else expect(response.contextIds![0]).not.toBe(contextIds![0]);
    // Either way exactly one attempt sufficed: no race was mistaken for one.
    expect(ctx().retries.filter((r) => r === 'serialization')).toEqual([]);
  });

  it('reuse pairs names and external ids the way the database compares them (trailing spaces, accents)', async () => {
    const equalInDb = async (a: string, b: string): Promise<boolean> => {
      const knex = ctx().db.knex;
      const result = await knex.raw('SELECT CASE WHEN ? = ? THEN 1 ELSE 0 END AS eq', [a, b]);
      const rows = (ctx().backend.dialect === 'mysql' ? result[0] : ctx().backend.dialect === 'postgres' ? result.rows : result) as { eq: number | string }[];
      return Number(rows[0].eq) === 1;
    };
    for (const variant of [(n: string) => `${n} `, (n: string) => n.replace('e', '\u00e9')]) {
      const name = uniqueName('spec');
      const { contextIds } = await ctx().call('putContexts', { contexts: [{ typeId: t.context, name }] });
      const externalId = uniqueName('extspec');
      const { artifactIds } = await ctx().call('putArtifacts', { artifacts: [artifact({ externalId })] });
      const same = await equalInDb(name, variant(name));
      const response = await ctx().call('putExecution', {
        execution: { typeId: t.execution },
        artifactEventPairs: [{ artifact: artifact({ externalId: variant(externalId) }) }],
        contexts: [{ typeId: t.context, name: variant(name) }],
        options: { reuseContextIfAlreadyExist: true, reuseArtifactIfAlreadyExistByExternalId: true },
      });
      expect(response.contextIds![0] === contextIds![0], `context ${JSON.stringify(variant(name))}`).toBe(same);
      expect(response.artifactIds![0] === artifactIds![0], `artifact ${JSON.stringify(variant(externalId))}`).toBe(same);
    }
  });

  it('force_reuse_context: a context with id is only checked to exist and is left as stored', async () => {
    const { contextIds } = await ctx().call('putContexts', { contexts: [newContext({ properties: { p: { intValue: 7n } } })] });
    const stored = await getContext(contextIds![0]);
    const response = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      // No type_id, another name and other properties: all ignored under force_reuse_context.
      contexts: [{ id: stored.id, name: 'ignored', properties: { p: { intValue: 8n } } }],
      options: { forceReuseContext: true },
    });
    expect(response.contextIds).toEqual(contextIds);
    expect(await getContext(stored.id!)).toEqual(stored);
    await expectRejected(
      ctx(),
      'putExecution',
      { execution: { typeId: t.execution }, contexts: [stored, { id: 987_654_321n, typeId: t.context, name: 'x' }], options: { forceReuseContext: true } },
      StatusCode.NOT_FOUND,
      /Context with ID 987654321 was not found/,
    );
  });

  it('reuse_artifact_if_already_exist_by_external_id follows the pinned C++ sequence', async () => {
    const externalId = uniqueName('ext');
    const name = uniqueName('name');
    const first = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: { typeId: t.artifact, externalId, name, uri: '/first' } }],
    });
    const id = first.artifactIds![0];
    const again = { typeId: t.artifact, externalId, name, uri: '/second' };
    await expectRejected(ctx(), 'putExecution', { execution: { typeId: t.execution }, artifactEventPairs: [{ artifact: again }] }, StatusCode.ALREADY_EXISTS);
    const reused = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: again }],
      options: { reuseArtifactIfAlreadyExistByExternalId: true },
    });
    expect(reused.artifactIds).toEqual([id]);
    expect((await getArtifact(id)).uri).toBe('/second');
    await expectRejected(
      ctx(),
      'putExecution',
      {
        execution: { typeId: t.execution },
        artifactEventPairs: [{ artifact: { typeId: t.artifact, name, uri: '/third' } }],
        options: { reuseArtifactIfAlreadyExistByExternalId: true },
      },
      StatusCode.ALREADY_EXISTS,
    );
    const renamed = uniqueName('ext2');
    await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: { id, typeId: t.artifact, externalId: renamed, uri: '/second' } }],
      options: { reuseArtifactIfAlreadyExistByExternalId: true },
    });
    expect((await getArtifact(id)).externalId).toBe(renamed);
  });

  it('reuse by external id: a repeated stored artifact updates it twice, a repeated new one is created once', async () => {
    const storedExt = uniqueName('ext');
    const { artifactIds } = await ctx().call('putArtifacts', { artifacts: [artifact({ externalId: storedExt })] });
    const newExt = uniqueName('new');
    const response = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [
        { artifact: artifact({ externalId: storedExt, uri: '/a' }), event: { type: INPUT } },
        { artifact: artifact({ externalId: storedExt, uri: '/b' }) },
        { artifact: artifact({ externalId: newExt, uri: '/c' }), event: { type: OUTPUT } },
        { artifact: artifact({ externalId: newExt, uri: '/d' }) },
      ],
      contexts: [newContext()],
      options: { reuseArtifactIfAlreadyExistByExternalId: true },
    });
    const [a, b, c, d] = response.artifactIds!;
    expect([a, b]).toEqual([artifactIds![0], artifactIds![0]]);
    expect(c).toBe(d);
    expect((await getArtifact(a)).uri).toBe('/b');
    expect((await getArtifact(c)).uri).toBe('/d');
    // One attribution per distinct artifact.
    expect((await membersOf(ctx().db, response.contextIds![0])).artifacts).toEqual([Number(a), Number(c)].sort((x, y) => x - y));
  });

  it('rejects each invalid last element with upstream code and leaves no trace', async () => {
    const ok = { artifact: artifact(), event: { type: INPUT } };
    const good = { execution: { typeId: t.execution }, artifactEventPairs: [ok], contexts: [newContext()] };
    const stored = (await ctx().call('putArtifacts', { artifacts: [artifact({ name: uniqueName('taken') })] })).artifactIds![0];
    const takenName = (await getArtifact(stored)).name!;
    const { contextIds } = await ctx().call('putContexts', { contexts: [newContext()] });
    const existingContext = await getContext(contextIds![0]);
    const { executionId: otherExecution } = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [{ event: { artifactId: stored, type: INPUT } }],
    });
    const pairs = (last: object) => ({ ...good, artifactEventPairs: [ok, last] });
    const contexts = (last: Context) => ({ ...good, contexts: [newContext(), last] });

    const cases: [string, Parameters<typeof expectRejected<'putExecution'>>[2], StatusCode, RegExp][] = [
      ['no execution', { artifactEventPairs: [ok] }, StatusCode.INVALID_ARGUMENT, /No execution is found/],
      ['artifact without type_id', pairs({ artifact: { uri: '/x' } }), StatusCode.INVALID_ARGUMENT, /Type id is missing. artifact_event_pairs\[1\]\.artifact has no type_id/],
      ['artifact of unknown type', pairs({ artifact: { typeId: 999_999n } }), StatusCode.NOT_FOUND, /999999/],
      ['artifact of an execution type', pairs({ artifact: { typeId: t.execution } }), StatusCode.NOT_FOUND, /type/],
      ['undeclared artifact property', pairs({ artifact: artifact({ properties: { q: { intValue: 1n } } }) }), StatusCode.INVALID_ARGUMENT, /unknown property/],
      ['mistyped artifact property', pairs({ artifact: artifact({ properties: { p: { stringValue: 's' } } }) }), StatusCode.INVALID_ARGUMENT, /unmatched property/],
      ['update of an unknown artifact id', pairs({ artifact: artifact({ id: 999_999n }) }), StatusCode.INVALID_ARGUMENT, /Cannot find/],
      ['artifact name taken', pairs({ artifact: artifact({ name: takenName }) }), StatusCode.ALREADY_EXISTS, /already exists.*artifact_event_pairs\[1\]\.artifact/],
      ['execution of unknown type', { ...good, execution: { typeId: 999_999n } }, StatusCode.NOT_FOUND, /999999/],
      ['execution without type_id', { ...good, execution: {} }, StatusCode.INVALID_ARGUMENT, /Type id is missing. execution has no type_id/],
      ['update of an unknown execution id', { ...good, execution: { id: 999_999n, typeId: t.execution } }, StatusCode.INVALID_ARGUMENT, /Cannot find/],
      ['event for another execution', pairs({ artifact: artifact(), event: { type: INPUT, executionId: otherExecution } }), StatusCode.INVALID_ARGUMENT, /execution_id does not match/],
      ['event for another artifact', pairs({ artifact: artifact(), event: { type: INPUT, artifactId: stored } }), StatusCode.INVALID_ARGUMENT, /artifact_id does not match/],
      ['event without artifact or artifact_id', pairs({ event: { type: INPUT } }), StatusCode.INVALID_ARGUMENT, /must have an artifact_id/],
      ['event without type', pairs({ artifact: artifact(), event: {} }), StatusCode.INVALID_ARGUMENT, /No event type/],
      ['event of type UNKNOWN', pairs({ event: { artifactId: stored, type: Event_Type.UNKNOWN } }), StatusCode.INVALID_ARGUMENT, /No event type/],
      ['event naming a missing artifact', pairs({ event: { artifactId: 999_999n, type: INPUT } }), StatusCode.INVALID_ARGUMENT, /No artifact with the given id 999999 \(artifact_event_pairs\[1\]\.event\.artifact_id\)/],
      ['duplicate event', { ...good, artifactEventPairs: [{ event: { artifactId: stored, type: INPUT } }, { event: { artifactId: stored, type: INPUT } }] }, StatusCode.ALREADY_EXISTS, /already exists/],
      ['context without type_id', contexts({ name: 'n' }), StatusCode.INVALID_ARGUMENT, /missing a type_id/],
      ['context without name', contexts({ typeId: t.context }), StatusCode.INVALID_ARGUMENT, /missing a name/],
      ['context with id but no name', contexts({ id: existingContext.id, typeId: t.context }), StatusCode.INVALID_ARGUMENT, /missing a name/],
      ['context with empty name', contexts({ typeId: t.context, name: '' }), StatusCode.INVALID_ARGUMENT, /should not be empty/],
      ['context of unknown type', contexts({ typeId: 999_999n, name: 'n' }), StatusCode.NOT_FOUND, /999999.*contexts\[1\]/],
      ['update of an unknown context id', contexts({ id: 999_999n, typeId: t.context, name: 'n' }), StatusCode.INVALID_ARGUMENT, /Cannot find/],
      ['new context whose name exists', contexts({ typeId: t.context, name: existingContext.name }), StatusCode.ALREADY_EXISTS, /already exists/],
      ['mistyped context property', contexts(newContext({ properties: { p: { doubleValue: 1 } } })), StatusCode.INVALID_ARGUMENT, /unmatched property/],
    ];
    for (const [label, request, code, phrase] of cases) {
      const error = await expectRejected(ctx(), 'putExecution', request, code, phrase).catch((e: Error) => {
        throw new Error(`${label}: ${e.message}`);
      });
      expect(error.code, label).toBe(code);
    }
    // The same requests with a valid last element go through.
    await ctx().call('putExecution', good);
  });

  it('a new execution with new artifacts asks neither whether its nodes exist nor for stored events', async () => {
    const request = () => ({
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: artifact(), event: { type: OUTPUT, path: { steps: [{ key: 'out' }] } } }],
    });
    await ctx().call('putExecution', request());
    const { sql, result } = await statementsDuring(ctx().db, () => ctx().call('putExecution', request()));
    const reads = sql.filter((q) => /^\s*select/i.test(q));
    expect(reads.filter((q) => /\bfrom\s+\W?Event\W?\s/i.test(q))).toEqual([]);
    expect(reads.filter((q) => /union all/i.test(q) || /node_table/i.test(q))).toEqual([]);
    const { events } = await ctx().call('getEventsByExecutionIDs', { executionIds: [result.executionId!] });
    expect(events!.map((e) => [e.artifactId, e.type])).toEqual([[result.artifactIds![0], OUTPUT]]);
  });

  it('an existing execution still meets the stored-event check: the same event twice is ALREADY_EXISTS', async () => {
    const first = await ctx().call('putExecution', {
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: artifact(), event: { type: OUTPUT } }],
    });
    const [execution] = (await ctx().call('getExecutionsById', { executionIds: [first.executionId!] })).executions!;
    const [stored] = (await ctx().call('getArtifactsById', { artifactIds: [first.artifactIds![0]] })).artifacts!;
    await expectRejected(ctx(), 'putExecution', { execution, artifactEventPairs: [{ artifact: stored, event: { type: OUTPUT } }] }, StatusCode.ALREADY_EXISTS);
  });

  it('links to its contexts in one round trip on MySQL: both membership inserts ride with the ownership lookup', async () => {
    const contexts = [newContext(), newContext({ typeId: t.run })];
    const request = () => ({
      execution: { typeId: t.execution },
      artifactEventPairs: [{ artifact: artifact(), event: { type: OUTPUT } }],
      contexts: contexts.map((c) => ({ typeId: c.typeId, name: c.name })),
      options: { reuseContextIfAlreadyExist: true },
    });
    await ctx().call('putExecution', request());
    const { sql, result } = await statementsDuring(ctx().db, () => ctx().call('putExecution', request()));
    const links = sql.filter((q) => /\b(Association|Attribution)\b/i.test(q));
    if (ctx().backend.dialect === 'mysql') {
      expect(links).toHaveLength(1);
      expect(links[0]).toMatch(/^insert ignore into `Association`.*;\s*insert ignore into `Attribution`.*;\s*select .*mlmd_ts_node_namespace/is);
    } else {
      expect(links).toHaveLength(2);
    }
    const members = await membersOf(ctx().db, result.contextIds![1]);
    expect(members.artifacts).toContain(Number(result.artifactIds![0]));
    expect(members.executions).toContain(Number(result.executionId));
  });

  it('issues the same number of statements for 2 and 1,000 artifact-event pairs', async () => {
    const contexts = [newContext(), newContext({ typeId: t.run })];
    await ctx().call('putExecution', { execution: { typeId: t.execution }, contexts });
    const inputs = (await ctx().call('putArtifacts', { artifacts: Array.from({ length: 1000 }, () => artifact()) })).artifactIds!;
    const request = (n: number) => ({
      execution: { typeId: t.execution, customProperties: { task: { stringValue: 'x' } } },
      artifactEventPairs: Array.from({ length: n }, (_, i) =>
        i % 2 === 0
          ? { artifact: artifact({ customProperties: { display_name: { stringValue: `o${i}` } } }), event: { type: OUTPUT, path: { steps: [{ key: `o${i}` }] } } }
          : { event: { artifactId: inputs[i], type: INPUT, path: { steps: [{ key: `i${i}` }] } } },
      ),
      contexts: contexts.map((c) => ({ typeId: c.typeId, name: c.name })),
      options: { reuseContextIfAlreadyExist: true },
    });
    // Two pairs, one of each kind (a new output artifact, an event naming a stored input), so the
    // small request needs every lookup the big one does; the types' schemas already remembered.
    await ctx().call('putExecution', request(2));
    const one = await statementsDuring(ctx().db, () => ctx().call('putExecution', request(2)));
    const many = await statementsDuring(ctx().db, () => ctx().call('putExecution', request(1000)));
    expect(many.result.artifactIds).toHaveLength(1000);
    const rowByRow = ctx().backend.dialect === 'mysql' && (await insertsRowByRow(ctx()));
    if (!rowByRow) expect(many.sql.length).toBe(one.sql.length);
    expect((await membersOf(ctx().db, many.result.contextIds![0])).artifacts.length).toBeGreaterThanOrEqual(1000);
  });
});

/** MySQL 8 with innodb_autoinc_lock_mode 2 inserts row by row (accepted by the brief). */
async function insertsRowByRow(ctx: { db: { knex: { raw: (sql: string) => Promise<unknown> } } }): Promise<boolean> {
  const [rows] = (await ctx.db.knex.raw('SELECT VERSION() AS v, @@innodb_autoinc_lock_mode AS m')) as [{ v: string; m: number }[]];
  return !/mariadb/i.test(rows[0].v) && Number(rows[0].m) === 2;
}
