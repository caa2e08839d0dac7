import { expect, it } from 'vitest';
import { Event_Type } from '../../../src/generated/ml_metadata/proto/metadata_store';
import type { PutLineageSubgraphRequest } from '../../../src/generated/ml_metadata/proto/metadata_store_service';
import { StatusCode } from '../../../src/errors';
import { rowCounts, statementsDuring, uniqueName } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { expectRejected, membersOf, suiteNodes } from './composite_fixtures';

const { INPUT, OUTPUT } = Event_Type;

describeStore('PutLineageSubgraph', (ctx) => {
  const { t, artifact, execution, context, getArtifact } = suiteNodes(ctx);

  it('writes a subgraph with stored and new nodes; a stored context without id needs the reuse option', async () => {
    const storedContext = context();
    const [storedContextId] = (await ctx().call('putContexts', { contexts: [storedContext] })).contextIds!;
    const [storedExecutionId] = (await ctx().call('putExecutions', { executions: [execution({ name: uniqueName('e') })] })).executionIds!;
    const [storedArtifactId] = (await ctx().call('putArtifacts', { artifacts: [artifact()] })).artifactIds!;
    const request: PutLineageSubgraphRequest = {
      executions: [execution({ id: storedExecutionId }), execution({ name: uniqueName('new') })],
      artifacts: [artifact({ id: storedArtifactId }), artifact()],
      contexts: [storedContext, context()],
      // Every accepted edge form: both indexes with matching ids, ids only on one side each, bare.
      eventEdges: [
        { executionIndex: 0, artifactIndex: 0, event: { type: INPUT, executionId: storedExecutionId, artifactId: storedArtifactId } },
        { artifactIndex: 1, event: { type: OUTPUT, executionId: storedExecutionId } },
        { executionIndex: 1, event: { type: INPUT, artifactId: storedArtifactId } },
        { executionIndex: 1, artifactIndex: 1, event: { type: OUTPUT, path: { steps: [{ key: 'out' }] } } },
      ],
    };
    await expectRejected(ctx(), 'putLineageSubgraph', request, StatusCode.ALREADY_EXISTS);

    const before = await rowCounts(ctx().db);
    const response = await ctx().call('putLineageSubgraph', { ...request, options: { reuseContextIfAlreadyExist: true } });
    expect(response.executionIds![0]).toBe(storedExecutionId);
    expect(response.artifactIds![0]).toBe(storedArtifactId);
    expect(response.contextIds![0]).toBe(storedContextId);
    const after = await rowCounts(ctx().db);
    expect(after.Event - before.Event).toBe(4);
    expect(after.Association - before.Association).toBe(4);
    expect(after.Attribution - before.Attribution).toBe(4);
    expect(after.Context - before.Context).toBe(1);

    const [newExecution] = response.executionIds!.slice(1);
    const [newArtifact] = response.artifactIds!.slice(1);
    const { events } = await ctx().call('getEventsByExecutionIDs', { executionIds: response.executionIds });
    expect(events!.map((e) => [e.executionId, e.artifactId, e.type])).toEqual([
      [storedExecutionId, storedArtifactId, INPUT],
      [storedExecutionId, newArtifact, OUTPUT],
      [newExecution, storedArtifactId, INPUT],
      [newExecution, newArtifact, OUTPUT],
    ]);
    for (const id of response.contextIds!) {
      const members = await membersOf(ctx().db, id);
      expect(members.executions).toEqual(response.executionIds!.map(Number).sort((a, b) => a - b));
      expect(members.artifacts).toEqual(response.artifactIds!.map(Number).sort((a, b) => a - b));
    }
  });

  it('is idempotent on memberships and accepts an empty request', async () => {
    expect(await ctx().call('putLineageSubgraph', {})).toEqual({ executionIds: [], artifactIds: [], contextIds: [] });
    const request = { executions: [execution()], artifacts: [artifact()], contexts: [context()] };
    const first = await ctx().call('putLineageSubgraph', request);
    const before = await rowCounts(ctx().db);
    await ctx().call('putLineageSubgraph', {
      executions: [execution({ id: first.executionIds![0] })],
      artifacts: [artifact({ id: first.artifactIds![0], uri: (await getArtifact(first.artifactIds![0])).uri })],
      contexts: [{ ...request.contexts[0], id: first.contextIds![0] }],
    });
    expect(await rowCounts(ctx().db)).toEqual(before);
  });

  it('reuse by external id is resolved up front: stored ids update, a repeated new one clashes', async () => {
    const storedExt = uniqueName('ext');
    const [storedId] = (await ctx().call('putArtifacts', { artifacts: [artifact({ externalId: storedExt })] })).artifactIds!;
    const options = { reuseArtifactIfAlreadyExistByExternalId: true };
    const response = await ctx().call('putLineageSubgraph', {
      artifacts: [artifact({ externalId: storedExt, uri: '/one' }), artifact({ externalId: storedExt, uri: '/two' })],
      options,
    });
    expect(response.artifactIds).toEqual([storedId, storedId]);
    expect((await getArtifact(storedId)).uri).toBe('/two');
    const newExt = uniqueName('new');
    await expectRejected(
      ctx(),
      'putLineageSubgraph',
      { artifacts: [artifact({ externalId: newExt }), artifact({ externalId: newExt })], options },
      StatusCode.ALREADY_EXISTS,
      new RegExp(newExt),
    );
    await expectRejected(ctx(), 'putLineageSubgraph', { artifacts: [artifact({ externalId: storedExt })] }, StatusCode.ALREADY_EXISTS);
  });

  it('rejects each invalid last element with upstream code and leaves no trace', async () => {
    const [storedExecution] = (await ctx().call('putExecutions', { executions: [execution()] })).executionIds!;
    const [storedArtifact] = (await ctx().call('putArtifacts', { artifacts: [artifact()] })).artifactIds!;
    const [storedContext] = (await ctx().call('putContexts', { contexts: [context()] })).contextIds!;
    const base = (): PutLineageSubgraphRequest => ({
      executions: [execution(), execution({ id: storedExecution })],
      artifacts: [artifact(), artifact({ id: storedArtifact })],
      contexts: [context()],
      eventEdges: [{ executionIndex: 0, artifactIndex: 0, event: { type: INPUT } }],
    });
    const edge = (last: NonNullable<PutLineageSubgraphRequest['eventEdges']>[number]) => {
      const r = base();
      r.eventEdges!.push(last);
      return r;
    };
    const lastNode = (field: 'executions' | 'artifacts' | 'contexts', node: object) => {
      const r = base();
      (r[field] as object[]).push(node);
      return r;
    };
    const cases: [string, PutLineageSubgraphRequest, StatusCode, RegExp][] = [
      ['edge without event', edge({ executionIndex: 0, artifactIndex: 0 }), StatusCode.INVALID_ARGUMENT, /event_edges\[1\] has no event/],
      ['edge naming no execution', edge({ artifactIndex: 0, event: { type: OUTPUT } }), StatusCode.INVALID_ARGUMENT, /names no execution/],
      ['edge naming no artifact', edge({ executionIndex: 0, event: { type: OUTPUT } }), StatusCode.INVALID_ARGUMENT, /names no artifact/],
      ['execution_index too large', edge({ executionIndex: 2, artifactIndex: 0, event: { type: OUTPUT } }), StatusCode.OUT_OF_RANGE, /execution_index 2/],
      ['negative execution_index', edge({ executionIndex: -1, artifactIndex: 0, event: { type: OUTPUT } }), StatusCode.OUT_OF_RANGE, /execution_index -1/],
      ['artifact_index too large', edge({ executionIndex: 0, artifactIndex: 2, event: { type: OUTPUT } }), StatusCode.OUT_OF_RANGE, /artifact_index 2/],
      ['indexed new execution and execution_id', edge({ executionIndex: 0, artifactIndex: 0, event: { type: OUTPUT, executionId: storedExecution } }), StatusCode.INVALID_ARGUMENT, /has no id/],
      ['indexed execution with another id', edge({ executionIndex: 1, artifactIndex: 0, event: { type: OUTPUT, executionId: storedExecution + 1000n } }), StatusCode.INVALID_ARGUMENT, /does not match/],
      ['indexed new artifact and artifact_id', edge({ executionIndex: 0, artifactIndex: 0, event: { type: OUTPUT, artifactId: storedArtifact } }), StatusCode.INVALID_ARGUMENT, /has no id/],
      ['indexed artifact with another id', edge({ executionIndex: 0, artifactIndex: 1, event: { type: OUTPUT, artifactId: storedArtifact + 1000n } }), StatusCode.INVALID_ARGUMENT, /does not match/],
      ['artifact without type_id', lastNode('artifacts', { uri: '/x' }), StatusCode.INVALID_ARGUMENT, /Type id is missing. artifacts\[2\]/],
      ['artifact update without type_id', lastNode('artifacts', { id: storedArtifact }), StatusCode.INVALID_ARGUMENT, /Type id is missing/],
      ['artifact of unknown type', lastNode('artifacts', { typeId: 999_999n }), StatusCode.NOT_FOUND, /999999/],
      ['artifact with undeclared property', lastNode('artifacts', artifact({ properties: { q: { intValue: 1n } } })), StatusCode.INVALID_ARGUMENT, /unknown property/],
      ['execution without type_id', lastNode('executions', {}), StatusCode.INVALID_ARGUMENT, /Type id is missing. executions\[2\]/],
      ['execution of a context type', lastNode('executions', { typeId: t.context }), StatusCode.NOT_FOUND, /executions\[2\]/],
      ['execution with mistyped property', lastNode('executions', execution({ properties: { p: { doubleValue: 1 } } })), StatusCode.INVALID_ARGUMENT, /unmatched property/],
      ['update of an unknown execution id', lastNode('executions', execution({ id: 999_999n })), StatusCode.INVALID_ARGUMENT, /Cannot find/],
      ['context without type_id', lastNode('contexts', { name: 'n' }), StatusCode.INVALID_ARGUMENT, /Type id is missing. contexts\[1\]/],
      ['context without name', lastNode('contexts', { typeId: t.context }), StatusCode.INVALID_ARGUMENT, /missing a name/],
      ['context of unknown type', lastNode('contexts', { typeId: 999_999n, name: 'n' }), StatusCode.NOT_FOUND, /999999/],
      ['context with id and another type', lastNode('contexts', { id: storedContext, typeId: t.run, name: 'n' }), StatusCode.INVALID_ARGUMENT, /type/],
      ['event without type', edge({ executionIndex: 1, artifactIndex: 1, event: {} }), StatusCode.INVALID_ARGUMENT, /No event type.*event_edges\[1\]/],
      ['event naming a missing artifact', edge({ executionIndex: 1, event: { type: INPUT, artifactId: 999_999n } }), StatusCode.INVALID_ARGUMENT, /No artifact with the given id 999999/],
      ['event naming a missing execution', edge({ artifactIndex: 1, event: { type: INPUT, executionId: 999_999n } }), StatusCode.INVALID_ARGUMENT, /No execution with the given id 999999/],
      ['duplicate event', edge({ executionIndex: 0, artifactIndex: 0, event: { type: INPUT } }), StatusCode.ALREADY_EXISTS, /already exists/],
    ];
    for (const [label, request, code, phrase] of cases) {
      await expectRejected(ctx(), 'putLineageSubgraph', request, code, phrase).catch((e: Error) => {
        throw new Error(`${label}: ${e.message}`);
      });
    }
    await ctx().call('putLineageSubgraph', base());
  });

  it('issues the same number of statements for 1 and 1,000 nodes of each kind and events', async () => {
    const contexts = [context(), context({ typeId: t.run })];
    await ctx().call('putLineageSubgraph', { contexts });
    const request = (n: number): PutLineageSubgraphRequest => ({
      executions: Array.from({ length: n }, (_, i) => execution({ customProperties: { i: { intValue: BigInt(i) } } })),
      artifacts: Array.from({ length: n }, () => artifact({ properties: { p: { intValue: 1n } } })),
      contexts: contexts.map((c) => ({ typeId: c.typeId, name: c.name })),
      eventEdges: Array.from({ length: n }, (_, i) => ({ executionIndex: i, artifactIndex: i, event: { type: OUTPUT, path: { steps: [{ key: 'o' }] } } })),
      options: { reuseContextIfAlreadyExist: true },
    });
    const one = await statementsDuring(ctx().db, () => ctx().call('putLineageSubgraph', request(1)));
    const many = await statementsDuring(ctx().db, () => ctx().call('putLineageSubgraph', request(1000)));
    expect(many.result.artifactIds).toHaveLength(1000);
    expect((await membersOf(ctx().db, many.result.contextIds![1])).executions.length).toBe(1001);
    const [rows] = ctx().backend.dialect === 'mysql' ? ((await ctx().db.knex.raw('SELECT VERSION() AS v, @@innodb_autoinc_lock_mode AS m')) as [{ v: string; m: number }[]]) : [[]];
    const rowByRow = rows.length > 0 && !/mariadb/i.test(rows[0].v) && Number(rows[0].m) === 2;
    if (!rowByRow) expect(many.sql.length).toBe(one.sql.length);
  });
});
