import { beforeAll, expect, it } from 'vitest';
import {
  Event_Type as EventType,
  LineageSubgraphQueryOptions_Direction as Direction,
  type LineageSubgraphQueryOptions,
} from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import { countStatements } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

describeStore('GetLineageSubgraph', (ctx) => {
  let artifactType: bigint;
  let executionType: bigint;
  let contextType: bigint;

  beforeAll(async () => {
    artifactType = (await ctx().call('putArtifactType', { artifactType: { name: 'Data' } })).typeId!;
    executionType = (await ctx().call('putExecutionType', { executionType: { name: 'Step' } })).typeId!;
    contextType = (await ctx().call('putContextType', { contextType: { name: 'Run' } })).typeId!;
  });

  async function artifacts(n: number, prefix: string): Promise<bigint[]> {
    const names = Array.from({ length: n }, (_, i) => ({ typeId: artifactType, name: `${prefix}${i}`, uri: `/${prefix}/${i}` }));
    return (await ctx().call('putArtifacts', { artifacts: names })).artifactIds!;
  }
  async function executions(n: number, prefix: string): Promise<bigint[]> {
    const list = Array.from({ length: n }, (_, i) => ({ typeId: executionType, name: `${prefix}${i}` }));
    return (await ctx().call('putExecutions', { executions: list })).executionIds!;
  }
  async function events(edges: [bigint, bigint, EventType][]): Promise<void> {
    await ctx().call('putEvents', { events: edges.map(([artifactId, executionId, type]) => ({ artifactId, executionId, type })) });
  }
  const subgraph = async (options: LineageSubgraphQueryOptions, readMask?: string[]) =>
    (await ctx().call('getLineageSubgraph', { lineageSubgraphQueryOptions: options, readMask })).lineageSubgraph!;
  const ids = (nodes: { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => n.id!).sort((a, b) => Number(a - b));
  const pairs = (evs: { artifactId?: bigint; executionId?: bigint }[] | undefined) =>
    (evs ?? []).map((e) => `${e.artifactId}-${e.executionId}`);
  const inList = (xs: bigint[]) => `id IN (${xs.join(', ')})`;

  // Contract §11.1.3's pinned graph: a1 -INPUT-> e1, a1 -INPUT-> e2, a2 -OUTPUT- e1, a2 -INPUT-> e2.
  let a1: bigint, a2: bigint, e1: bigint, e2: bigint;
  beforeAll(async () => {
    [a1, a2] = await artifacts(2, 'pin');
    [e1, e2] = await executions(2, 'pin');
    await events([
      [a1, e1, EventType.INPUT],
      [a1, e2, EventType.INPUT],
      [a2, e1, EventType.OUTPUT],
      [a2, e2, EventType.INPUT],
    ]);
  });

  it('follows upstream on the pinned examples (hops, ending nodes, direction)', async () => {
    const start = { startingArtifacts: { filterQuery: `id = ${a1}` } };
    let g = await subgraph({ ...start, maxNumHops: 1n });
    expect(ids(g.artifacts)).toEqual([a1]);
    expect(ids(g.executions)).toEqual([e1, e2]);
    expect(pairs(g.events)).toEqual([`${a1}-${e1}`, `${a1}-${e2}`]);

    g = await subgraph({ ...start, maxNumHops: 2n });
    expect(ids(g.artifacts)).toEqual([a1, a2]);
    expect(g.events).toHaveLength(4);

    g = await subgraph({ startingExecutions: { filterQuery: `id = ${e2}` }, maxNumHops: 1n });
    expect(ids(g.artifacts)).toEqual([a1, a2]);
    expect(ids(g.executions)).toEqual([e2]);
    expect(pairs(g.events)).toEqual([`${a1}-${e2}`, `${a2}-${e2}`]);

    const ending = (include: boolean) => ({ endingExecutions: { filterQuery: `id = ${e1}`, includeEndingNodes: include } });
    g = await subgraph({ ...start, maxNumHops: 2n, ...ending(false) });
    expect([ids(g.artifacts), ids(g.executions), pairs(g.events)]).toEqual([[a1, a2], [e2], [`${a1}-${e2}`, `${a2}-${e2}`]]);
    g = await subgraph({ ...start, maxNumHops: 2n, ...ending(true) });
    expect([ids(g.executions), pairs(g.events)]).toEqual([[e1, e2], [`${a1}-${e1}`, `${a1}-${e2}`, `${a2}-${e2}`]]);
    g = await subgraph({ ...start, maxNumHops: 3n, ...ending(true) });
    expect(g.events).toHaveLength(4);
    g = await subgraph({ ...start, maxNumHops: 3n, ...ending(false) });
    expect(pairs(g.events)).toEqual([`${a1}-${e2}`, `${a2}-${e2}`]);

    g = await subgraph({ ...start, maxNumHops: 3n, direction: Direction.DOWNSTREAM, ...ending(true) });
    expect([ids(g.artifacts), ids(g.executions), pairs(g.events)]).toEqual([[a1], [e1, e2], [`${a1}-${e1}`, `${a1}-${e2}`]]);

    const self = { startingExecutions: { filterQuery: `id = ${e1}` }, maxNumHops: 0n };
    g = await subgraph({ ...self, endingExecutions: { filterQuery: `id = ${e1}` } });
    expect([g.artifacts, g.executions, g.events]).toEqual([[], [], []]);
    g = await subgraph({ ...self, endingExecutions: { filterQuery: `id = ${e1}`, includeEndingNodes: true } });
    expect(ids(g.executions)).toEqual([e1]);
  });

  it('counts hops exactly on a long chain, in both directions', async () => {
    // a0 -> x0 -> a1 -> x1 -> ... -> a10
    const as = await artifacts(11, 'chain');
    const xs = await executions(10, 'chain');
    await events(xs.flatMap((x, i): [bigint, bigint, EventType][] => [[as[i], x, EventType.INPUT], [as[i + 1], x, EventType.OUTPUT]]));
    for (const hops of [0, 1, 2, 5, 19, 20, 21]) {
      const g = await subgraph({ startingArtifacts: { filterQuery: `id = ${as[0]}` }, maxNumHops: BigInt(hops), direction: Direction.DOWNSTREAM });
      const reach = Math.min(hops, 20);
      expect(g.artifacts).toHaveLength(1 + Math.floor(reach / 2));
      expect(g.executions).toHaveLength(Math.ceil(reach / 2));
      expect(g.events).toHaveLength(reach);
    }
    const up = await subgraph({ startingArtifacts: { filterQuery: `id = ${as[10]}` }, direction: Direction.UPSTREAM });
    expect(ids(up.artifacts)).toEqual(as);
    const wrongWay = await subgraph({ startingArtifacts: { filterQuery: `id = ${as[10]}` }, direction: Direction.DOWNSTREAM });
    expect(ids(wrongWay.artifacts)).toEqual([as[10]]);
    expect(wrongWay.events).toEqual([]);
  });

  it('reports a diamond node once and every event once', async () => {
    // src -> {left, right} -> sink, through four executions.
    const [src, left, right, sink] = await artifacts(4, 'diamond');
    const [x1, x2, x3, x4] = await executions(4, 'diamond');
    await events([
      [src, x1, EventType.INPUT], [left, x1, EventType.OUTPUT],
      [src, x2, EventType.INPUT], [right, x2, EventType.OUTPUT],
      [left, x3, EventType.INPUT], [sink, x3, EventType.OUTPUT],
      [right, x4, EventType.INPUT], [sink, x4, EventType.OUTPUT],
    ]);
    const g = await subgraph({ startingArtifacts: { filterQuery: `id = ${src}` } });
    expect(ids(g.artifacts)).toEqual([src, left, right, sink]);
    expect(ids(g.executions)).toEqual([x1, x2, x3, x4]);
    expect(new Set(pairs(g.events)).size).toBe(8);
    expect(g.events).toHaveLength(8);
  });

  it('handles wide fan-out and fan-in, isolated executions and every event type', async () => {
    const [hub] = await artifacts(1, 'hub');
    const consumers = await executions(300, 'fan');
    await events(consumers.map((x): [bigint, bigint, EventType] => [hub, x, EventType.INPUT]));
    const outs = await artifacts(300, 'fanout');
    await events(outs.map((a, i): [bigint, bigint, EventType] => [a, consumers[i], EventType.OUTPUT]));
    const g = await subgraph({ startingArtifacts: { filterQuery: `id = ${hub}` }, maxNumHops: 2n, direction: Direction.DOWNSTREAM });
    expect(g.executions).toHaveLength(300);
    expect(g.artifacts).toHaveLength(301);
    expect(g.events).toHaveLength(600);

    const [lonely] = await executions(1, 'lonely');
    const alone = await subgraph({ startingExecutions: { filterQuery: `id = ${lonely}` } });
    expect([ids(alone.executions), alone.artifacts, alone.events]).toEqual([[lonely], [], []]);

    const [a] = await artifacts(1, 'typed');
    const [x] = await executions(1, 'typed');
    const all = [EventType.DECLARED_OUTPUT, EventType.DECLARED_INPUT, EventType.INPUT, EventType.OUTPUT, EventType.INTERNAL_INPUT, EventType.INTERNAL_OUTPUT, EventType.PENDING_OUTPUT];
    await events(all.map((t): [bigint, bigint, EventType] => [a, x, t]));
    const down = await subgraph({ startingArtifacts: { filterQuery: `id = ${a}` }, maxNumHops: 1n, direction: Direction.DOWNSTREAM });
    expect(down.events?.map((e) => e.type).sort()).toEqual([EventType.DECLARED_INPUT, EventType.INPUT, EventType.INTERNAL_INPUT].sort());
    const upstream = await subgraph({ startingArtifacts: { filterQuery: `id = ${a}` }, maxNumHops: 1n, direction: Direction.UPSTREAM });
    expect(upstream.events).toHaveLength(4);
  });

  it('validates like upstream', async () => {
    const status = async (options: LineageSubgraphQueryOptions | undefined) => {
      try {
        await ctx().call('getLineageSubgraph', { lineageSubgraphQueryOptions: options });
        return StatusCode.OK;
      } catch (e) {
        return (e as MlmdError).code;
      }
    };
    expect(await status(undefined)).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await status({ maxNumHops: 1n })).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await status({ startingArtifacts: {} })).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await status({ startingArtifacts: { filterQuery: 'id = 1' }, maxNumHops: -1n })).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await status({ startingArtifacts: { filterQuery: 'id = = 1' } })).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await status({ startingArtifacts: { filterQuery: 'id = -5' } })).toBe(StatusCode.NOT_FOUND);
  });

  it('fills only the read_mask fields; contexts, attributions and associations come from the nodes', async () => {
    const [a] = await artifacts(1, 'masked');
    const [x] = await executions(1, 'masked');
    await events([[a, x, EventType.OUTPUT]]);
    const [c] = (await ctx().call('putContexts', { contexts: [{ typeId: contextType, name: 'masked-run' }] })).contextIds!;
    await ctx().call('putAttributionsAndAssociations', { attributions: [{ artifactId: a, contextId: c }], associations: [{ executionId: x, contextId: c }] });
    const full = await subgraph({ startingExecutions: { filterQuery: `id = ${x}` } });
    expect(full.artifacts).toEqual([{ id: a }]);
    expect(full.contexts).toEqual([{ id: c }]);
    expect(full.attributions).toEqual([{ artifactId: a, contextId: c }]);
    expect(full.associations).toEqual([{ executionId: x, contextId: c }]);
    expect(full.artifactTypes?.map((t) => t.name)).toContain('mlmd.Dataset');
    expect(full.artifactTypes?.every((t) => t.baseType === undefined && t.externalId === undefined)).toBe(true);
    const masked = await subgraph({ startingExecutions: { filterQuery: `id = ${x}` } }, ['events', 'associations']);
    expect(Object.keys(masked).filter((k) => (masked as Record<string, unknown>)[k] !== undefined).sort()).toEqual(['associations', 'events']);
    const byContext = await subgraph({ startingExecutions: { filterQuery: "contexts_a.name = 'masked-run'" }, maxNumHops: 0n });
    expect(ids(byContext.executions)).toEqual([x]);
    expect(byContext.events).toEqual([]);
  });

  it('costs a constant number of statements per hop, whatever the frontier width', async () => {
    const count = async (width: number) => {
      const [root] = await artifacts(1, `w${width}root`);
      const xs = await executions(width, `w${width}x`);
      const outs = await artifacts(width, `w${width}out`);
      await events([
        ...xs.map((x): [bigint, bigint, EventType] => [root, x, EventType.INPUT]),
        ...xs.map((x, i): [bigint, bigint, EventType] => [outs[i], x, EventType.OUTPUT]),
      ]);
      const { statements } = await countStatements(ctx().db, () => subgraph({ startingArtifacts: { filterQuery: `id = ${root}` }, maxNumHops: 4n }));
      return statements;
    };
    expect(await count(1)).toBe(await count(1000));
  });

  it('walks a 10,000-wide frontier without hitting parameter limits', async () => {
    const [root] = await artifacts(1, 'huge');
    const xs = await executions(10_000, 'huge');
    await events(xs.map((x): [bigint, bigint, EventType] => [root, x, EventType.INPUT]));
    const g = await subgraph({ startingArtifacts: { filterQuery: inList([root]) }, maxNumHops: 2n }, ['executions']);
    expect(g.executions).toHaveLength(10_000);
  }, 120_000);
});
