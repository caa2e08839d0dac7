import { expect, it } from 'vitest';
import { Event_Type, type Event } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import { countStatements, expectRejectedWithoutTrace, statementsDuring, workStatements } from '../../support/store_assertions';
import { describeStore } from '../store_suite';
import { GraphFixture } from './graph_fixtures';

const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;

describeStore('PutEvents / GetEventsBy*IDs', (ctx) => {
  const put = (events: Event[]) => ctx().store.call('putEvents', { events });
  const byExecution = (ids: bigint[]) => ctx().store.call('getEventsByExecutionIDs', { executionIds: ids });
  const byArtifact = (ids: bigint[]) => ctx().store.call('getEventsByArtifactIDs', { artifactIds: ids });
  const fixture = () => new GraphFixture(ctx().db);

  const rejected = (events: Event[]): Promise<MlmdError> => expectRejectedWithoutTrace(ctx().db, () => put(events));

  it('stores events with multi-step paths and reads them back with steps in order', async () => {
    const f = fixture();
    const [a1, a2] = await f.artifacts(2);
    const [e1] = await f.executions(1);
    const steps = [{ key: 'outputs' }, { index: 3n }, { key: 'z' }, { index: 0n }, { key: 'a' }, { index: 1n << 40n }, { index: -7n }];
    await put([
      { artifactId: BigInt(a1), executionId: BigInt(e1), type: Event_Type.OUTPUT, path: { steps }, millisecondsSinceEpoch: 123n },
      { artifactId: BigInt(a2), executionId: BigInt(e1), type: Event_Type.INPUT, path: { steps: [...steps].reverse() }, millisecondsSinceEpoch: 456n },
    ]);
    const { events } = await byExecution([BigInt(e1)]);
    expect(events).toEqual([
      { artifactId: BigInt(a1), executionId: BigInt(e1), type: Event_Type.OUTPUT, path: { steps }, millisecondsSinceEpoch: 123n },
      { artifactId: BigInt(a2), executionId: BigInt(e1), type: Event_Type.INPUT, path: { steps: [...steps].reverse() }, millisecondsSinceEpoch: 456n },
    ]);
  });

  it('keeps step order across many events written in one request', async () => {
    const f = fixture();
    const artifacts = await f.artifacts(50);
    const [e] = await f.executions(1);
    const pathOf = (i: number) => ({ steps: Array.from({ length: 12 }, (_, s) => ((s + i) % 2 ? { index: BigInt(s * 31 + i) } : { key: `k${(i * 7 + s) % 13}` })) });
    await put(artifacts.map((a, i) => ({ artifactId: BigInt(a), executionId: BigInt(e), type: Event_Type.INPUT, path: pathOf(i) })));
    const { events } = await byExecution([BigInt(e)]);
    expect(events!.map((ev) => ev.path)).toEqual(artifacts.map((_, i) => pathOf(i)));
  });

  it('omits path when no step is stored and drops steps with neither index nor key', async () => {
    const f = fixture();
    const [a1, a2] = await f.artifacts(2);
    const [e] = await f.executions(1);
    await put([
      { artifactId: BigInt(a1), executionId: BigInt(e), type: Event_Type.INPUT, path: { steps: [{}, {}] } },
      { artifactId: BigInt(a2), executionId: BigInt(e), type: Event_Type.INPUT, path: { steps: [{}, { key: 'x' }, {}] } },
    ]);
    const { events } = await byExecution([BigInt(e)]);
    expect(events![0]).not.toHaveProperty('path');
    expect(events![0]).not.toHaveProperty('systemMetadata');
    expect(events![1].path).toEqual({ steps: [{ key: 'x' }] });
  });

  it('stores the client time verbatim over the whole int64 range and defaults it to the server clock', async () => {
    const f = fixture();
    const artifacts = await f.artifacts(5);
    const [e] = await f.executions(1);
    const times = [0n, -1n, INT64_MAX, INT64_MIN, undefined];
    const before = BigInt(Date.now());
    await put(artifacts.map((a, i) => ({ artifactId: BigInt(a), executionId: BigInt(e), type: Event_Type.OUTPUT, millisecondsSinceEpoch: times[i] })));
    const after = BigInt(Date.now());
    const { events } = await byExecution([BigInt(e)]);
    expect(events!.slice(0, 4).map((ev) => ev.millisecondsSinceEpoch)).toEqual(times.slice(0, 4));
    const defaulted = events![4].millisecondsSinceEpoch!;
    expect(defaulted >= before && defaulted <= after).toBe(true);
  });

  it('allows several events of different types for one artifact/execution pair', async () => {
    const f = fixture();
    const [a] = await f.artifacts(1);
    const [e] = await f.executions(1);
    const types = [Event_Type.DECLARED_OUTPUT, Event_Type.OUTPUT, Event_Type.PENDING_OUTPUT];
    await put(types.map((type) => ({ artifactId: BigInt(a), executionId: BigInt(e), type })));
    expect((await byArtifact([BigInt(a)])).events!.map((ev) => ev.type)).toEqual(types);
  });

  it('reads by artifact and by execution in put order, ignoring unknown and repeated ids', async () => {
    const f = fixture();
    const [a1, a2] = await f.artifacts(2);
    const [e1, e2] = await f.executions(2);
    // Put order deliberately disagrees with (execution_id, type) index order.
    await put([{ artifactId: BigInt(a1), executionId: BigInt(e2), type: Event_Type.OUTPUT }]);
    await put([{ artifactId: BigInt(a1), executionId: BigInt(e1), type: Event_Type.INPUT }]);
    await put([{ artifactId: BigInt(a2), executionId: BigInt(e2), type: Event_Type.DECLARED_OUTPUT }]);
    const artifactEvents = (await byArtifact([BigInt(a1), BigInt(a1), 999_999n, -4n])).events!;
    expect(artifactEvents.map((ev) => [ev.executionId, ev.type])).toEqual([
      [BigInt(e2), Event_Type.OUTPUT],
      [BigInt(e1), Event_Type.INPUT],
    ]);
    const executionEvents = (await byExecution([BigInt(e2), BigInt(e2)])).events!;
    expect(executionEvents.map((ev) => ev.artifactId)).toEqual([BigInt(a1), BigInt(a2)]);
  });

  it('answers empty lists and unmatched ids with no events', async () => {
    expect(await byExecution([])).toEqual({ events: [] });
    expect(await byArtifact([])).toEqual({ events: [] });
    expect(await byArtifact([424_242n])).toEqual({ events: [] });
    expect(await ctx().store.call('putEvents', {})).toEqual({});
  });

  it('rejects missing ids, a missing or UNKNOWN type, and unknown nodes with INVALID_ARGUMENT, writing nothing', async () => {
    const f = fixture();
    const [a] = await f.artifacts(1);
    const [e] = await f.executions(1);
    const ok = { artifactId: BigInt(a), executionId: BigInt(e), type: Event_Type.INPUT };
    const cases: [Event, RegExp][] = [
      [{ executionId: BigInt(e), type: Event_Type.INPUT }, /No artifact id is specified.*events\[1\]\.artifact_id/],
      [{ artifactId: BigInt(a), type: Event_Type.INPUT }, /No execution id is specified.*events\[1\]\.execution_id/],
      [{ artifactId: BigInt(a), executionId: BigInt(e) }, /No event type is specified.*events\[1\]\.type is unset/],
      [{ ...ok, type: Event_Type.UNKNOWN }, /No event type is specified.*events\[1\]\.type is 0/],
      [{ ...ok, type: 99 as Event_Type }, /No event type is specified.*type is 99/],
      [{ ...ok, artifactId: 777_777n }, /No artifact with the given id 777777 \(events\[1\]\.artifact_id\)/],
      [{ ...ok, executionId: 777_777n }, /No execution with the given id 777777 \(events\[1\]\.execution_id\)/],
      [{ ...ok, artifactId: INT64_MAX }, /No artifact with the given id 9223372036854775807/],
      [{ ...ok, executionId: 0n }, /No execution with the given id 0/],
    ];
    for (const [bad, message] of cases) {
      // A valid event first: the whole request, including it, must be rejected.
      const error = await rejected([{ ...ok, type: Event_Type.OUTPUT }, bad]);
      expect(error.code, String(message)).toBe(StatusCode.INVALID_ARGUMENT);
      expect(error.message).toMatch(message);
    }
  });

  it('reports the first invalid event in request order', async () => {
    const f = fixture();
    const [a] = await f.artifacts(1);
    const [e] = await f.executions(1);
    const error = await rejected([
      { artifactId: BigInt(a), executionId: 888_888n, type: Event_Type.INPUT },
      { executionId: BigInt(e), type: Event_Type.INPUT },
    ]);
    expect(error.message).toMatch(/No execution with the given id 888888 \(events\[0\]/);
  });

  it('rejects a duplicate (artifact, execution, type), stored or earlier in the request, with ALREADY_EXISTS', async () => {
    const f = fixture();
    const [a, a2] = await f.artifacts(2);
    const [e] = await f.executions(1);
    const event = { artifactId: BigInt(a), executionId: BigInt(e), type: Event_Type.OUTPUT };
    await put([event]);
    const stored = await rejected([{ ...event, artifactId: BigInt(a2) }, { ...event, millisecondsSinceEpoch: 5n }]);
    expect(stored.code).toBe(StatusCode.ALREADY_EXISTS);
    expect(stored.message).toMatch(new RegExp(`artifact_id ${a}, execution_id ${e}, type ${Event_Type.OUTPUT} \\(events\\[1\\]\\)`));
    const repeated = await rejected([
      { ...event, artifactId: BigInt(a2) },
      { ...event, type: Event_Type.INPUT },
      { ...event, artifactId: BigInt(a2), path: { steps: [{ key: 'other' }] } },
    ]);
    expect(repeated.code).toBe(StatusCode.ALREADY_EXISTS);
    expect(repeated.message).toMatch(/events\[2\] repeats an earlier event/);
  });

  it('issues the same number of statements for 1 and 1,000 events, writes and reads', async () => {
    const f = fixture();
    const artifacts = await f.artifacts(1_001);
    const [e1, e2] = await f.executions(2);
    const events = (ids: number[], e: number) =>
      ids.map((a) => ({ artifactId: BigInt(a), executionId: BigInt(e), type: Event_Type.INPUT, path: { steps: [{ key: 'in' }, { index: 2n }] } }));
    const one = await countStatements(ctx().db, () => put(events(artifacts.slice(0, 1), e1)));
    const thousand = await countStatements(ctx().db, () => put(events(artifacts.slice(1), e2)));
    expect(thousand.statements).toBe(one.statements);
    const readOne = await countStatements(ctx().db, async () => expect((await byArtifact([BigInt(artifacts[0])])).events).toHaveLength(1));
    const readThousand = await countStatements(ctx().db, async () =>
      expect((await byArtifact(artifacts.slice(1).map(BigInt))).events).toHaveLength(1_000),
    );
    expect(readThousand.statements).toBe(readOne.statements);
    // Events and their paths in one statement, which needs no transaction frame.
    expect(readOne.statements).toBe(1);
    // The nodes' existence and the stored duplicates in one lookup, then the two inserts.
    const work = await statementsDuring(ctx().db, () => put(events(artifacts.slice(1, 11), e1)));
    expect(workStatements(work.sql)).toHaveLength(3);
    expect(workStatements(work.sql)[0]).toMatch(/union all/i);
    const { events: read } = await byExecution([BigInt(e2)]);
    expect(read!.map((ev) => ev.artifactId)).toEqual(artifacts.slice(1).map(BigInt));
  });
});
