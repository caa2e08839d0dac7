import { expect, it } from 'vitest';
import type { Association, Attribution } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { ListOperationOptions_OrderByField_Field as Field } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import { countStatements, expectRejectedWithoutTrace, rowCounts } from '../../support/store_assertions';
import { GraphFixture } from '../events/graph_fixtures';
import { describeStore } from '../store_suite';

describeStore('PutAttributionsAndAssociations and membership reads', (ctx) => {
  const put = (attributions: Attribution[], associations: Association[] = []) =>
    ctx().store.call('putAttributionsAndAssociations', { attributions, associations });
  const ids = (nodes: { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => Number(n.id));
  const fixture = () => new GraphFixture(ctx().db);

  const rejected = (attributions: Attribution[], associations: Association[] = []): Promise<MlmdError> =>
    expectRejectedWithoutTrace(ctx().db, () => put(attributions, associations));

  it('links nodes to contexts and reads both directions in ascending id order', async () => {
    const f = fixture();
    const [c1, c2] = await f.contexts(2);
    const [a1, a2, a3] = await f.artifacts(3);
    const [e1, e2] = await f.executions(2);
    await put(
      [
        { contextId: BigInt(c2), artifactId: BigInt(a3) },
        { contextId: BigInt(c1), artifactId: BigInt(a2) },
        { contextId: BigInt(c1), artifactId: BigInt(a1) },
        { contextId: BigInt(c2), artifactId: BigInt(a1) },
      ],
      [
        { contextId: BigInt(c1), executionId: BigInt(e2) },
        { contextId: BigInt(c1), executionId: BigInt(e1) },
      ],
    );
    const artifacts = (await ctx().store.call('getArtifactsByContext', { contextId: BigInt(c1) })).artifacts!;
    expect(ids(artifacts)).toEqual([a1, a2]);
    // Hydrated nodes: type name and stored fields, not just ids.
    expect(artifacts[0]).toMatchObject({ id: BigInt(a1), type: expect.stringMatching(/^graph_fixture_artifact_/), uri: expect.stringMatching(/^\/uri\//) });
    expect(ids((await ctx().store.call('getExecutionsByContext', { contextId: BigInt(c1) })).executions)).toEqual([e1, e2]);
    expect(ids((await ctx().store.call('getContextsByArtifact', { artifactId: BigInt(a1) })).contexts)).toEqual([c1, c2]);
    expect(ids((await ctx().store.call('getContextsByExecution', { executionId: BigInt(e2) })).contexts)).toEqual([c1]);
    const response = await ctx().store.call('getArtifactsByContext', { contextId: BigInt(c1) });
    expect(response).not.toHaveProperty('nextPageToken');
  });

  it('is idempotent: pairs repeated in one request or already stored are accepted once', async () => {
    const f = fixture();
    const [c] = await f.contexts(1);
    const [a] = await f.artifacts(1);
    const [e] = await f.executions(1);
    const attribution = { contextId: BigInt(c), artifactId: BigInt(a) };
    const association = { contextId: BigInt(c), executionId: BigInt(e) };
    await put([attribution, attribution], [association, association]);
    const before = await rowCounts(ctx().db);
    await put([attribution], [association]);
    expect(await rowCounts(ctx().db)).toEqual(before);
    expect(ids((await ctx().store.call('getArtifactsByContext', { contextId: BigInt(c) })).artifacts)).toEqual([a]);
  });

  it('rejects missing and unknown ids with INVALID_ARGUMENT naming the field, writing nothing', async () => {
    const f = fixture();
    const [c] = await f.contexts(1);
    const [a] = await f.artifacts(1);
    const [e] = await f.executions(1);
    const okAttribution = { contextId: BigInt(c), artifactId: BigInt(a) };
    const okAssociation = { contextId: BigInt(c), executionId: BigInt(e) };
    const attributionCases: [Attribution, RegExp][] = [
      [{ artifactId: BigInt(a) }, /No context id is specified.*attributions\[1\]\.context_id/],
      [{ contextId: BigInt(c) }, /No artifact id is specified.*attributions\[1\]\.artifact_id/],
      [{ contextId: 909_090n, artifactId: BigInt(a) }, /Context id not found: 909090 \(attributions\[1\]\.context_id\)/],
      [{ contextId: BigInt(c), artifactId: 909_090n }, /Artifact id not found: 909090 \(attributions\[1\]\.artifact_id\)/],
      [{ contextId: BigInt(c), artifactId: BigInt(e) + 1_000_000n }, /Artifact id not found/],
    ];
    for (const [bad, message] of attributionCases) {
      const error = await rejected([okAttribution, bad], [okAssociation]);
      expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
      expect(error.message).toMatch(message);
    }
    const associationCases: [Association, RegExp][] = [
      [{ executionId: BigInt(e) }, /No context id is specified.*associations\[1\]\.context_id/],
      [{ contextId: BigInt(c) }, /No execution id is specified.*associations\[1\]\.execution_id/],
      [{ contextId: -1n, executionId: BigInt(e) }, /Context id not found: -1/],
      [{ contextId: BigInt(c), executionId: 909_090n }, /Execution id not found: 909090 \(associations\[1\]\.execution_id\)/],
    ];
    for (const [bad, message] of associationCases) {
      const error = await rejected([okAttribution], [okAssociation, bad]);
      expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
      expect(error.message).toMatch(message);
    }
    // Attributions are checked before associations.
    const first = await rejected([{ contextId: BigInt(c) }], [{ executionId: BigInt(e) }]);
    expect(first.message).toMatch(/attributions\[0\]/);
  });

  it('issues the same number of statements for 1 and 1,000 pairs', async () => {
    const f = fixture();
    const [c1, c2] = await f.contexts(2);
    const artifacts = await f.artifacts(1_001);
    const executions = await f.executions(1_001);
    const one = await countStatements(ctx().db, () =>
      put([{ contextId: BigInt(c1), artifactId: BigInt(artifacts[0]) }], [{ contextId: BigInt(c1), executionId: BigInt(executions[0]) }]),
    );
    const thousand = await countStatements(ctx().db, () =>
      put(
        artifacts.slice(1).map((a) => ({ contextId: BigInt(c2), artifactId: BigInt(a) })),
        executions.slice(1).map((e) => ({ contextId: BigInt(c2), executionId: BigInt(e) })),
      ),
    );
    expect(one.statements).toBeGreaterThanOrEqual(3);
    expect(thousand.statements).toBe(one.statements);
    expect(ids((await ctx().store.call('getArtifactsByContext', { contextId: BigInt(c2) })).artifacts)).toEqual(artifacts.slice(1));
  });

  it('answers NOT_FOUND from GetContextsBy{Artifact,Execution} for nodes without contexts', async () => {
    const f = fixture();
    const [a] = await f.artifacts(1);
    const [e] = await f.executions(1);
    for (const call of [
      () => ctx().store.call('getContextsByArtifact', { artifactId: BigInt(a) }),
      () => ctx().store.call('getContextsByArtifact', { artifactId: 123_456_789n }),
      () => ctx().store.call('getContextsByArtifact', {}),
      () => ctx().store.call('getContextsByExecution', { executionId: BigInt(e) }),
    ]) {
      const error = (await call().catch((x) => x)) as MlmdError;
      expect(error.code).toBe(StatusCode.NOT_FOUND);
      expect(error.message).toMatch(/No contexts found for (artifact|execution)_id: \d+/);
    }
  });

  it('answers empty member lists for unknown or empty contexts, even with a bad page token', async () => {
    const f = fixture();
    const [c] = await f.contexts(1);
    expect(await ctx().store.call('getArtifactsByContext', { contextId: BigInt(c) })).toEqual({ artifacts: [] });
    expect(await ctx().store.call('getExecutionsByContext', { contextId: 987_654n })).toEqual({ executions: [] });
    expect(
      await ctx().store.call('getExecutionsByContext', { contextId: BigInt(c), options: { maxResultSize: 5, nextPageToken: 'garbage' } }),
    ).toEqual({ executions: [] });
  });

  it('pages through a context member list under ListOperationOptions, never leaving the context', async () => {
    const f = fixture();
    const [c, other] = await f.contexts(2);
    const executions = await f.executions(7);
    const outsiders = await f.executions(3);
    await put(
      [],
      [...executions.map((e) => ({ contextId: BigInt(c), executionId: BigInt(e) })), ...outsiders.map((e) => ({ contextId: BigInt(other), executionId: BigInt(e) }))],
    );
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const response = await ctx().store.call('getExecutionsByContext', {
        contextId: BigInt(c),
        options: { maxResultSize: 3, orderByField: { field: Field.CREATE_TIME, isAsc: false }, nextPageToken: token },
      });
      seen.push(...ids(response.executions));
      token = response.nextPageToken;
      pages++;
    } while (token && pages < 10);
    expect(seen).toEqual([...executions].reverse());
    expect(pages).toBe(3);
  });
});
