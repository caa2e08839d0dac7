import { expect, it } from 'vitest';
import type { ParentContext } from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import { expectRejectedWithoutTrace } from '../../support/store_assertions';
import { GraphFixture } from '../events/graph_fixtures';
import { describeStore } from '../store_suite';

const link = (childId: number, parentId: number): ParentContext => ({ childId: BigInt(childId), parentId: BigInt(parentId) });

describeStore('PutParentContexts and the context hierarchy reads', (ctx) => {
  const put = (parentContexts: ParentContext[]) => ctx().store.call('putParentContexts', { parentContexts });
  const ids = (nodes: { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => Number(n.id));
  const parents = async (id: number) => ids((await ctx().store.call('getParentContextsByContext', { contextId: BigInt(id) })).contexts);
  const children = async (id: number) => ids((await ctx().store.call('getChildrenContextsByContext', { contextId: BigInt(id) })).contexts);

  async function rejected(entries: ParentContext[], code: StatusCode, message: RegExp): Promise<void> {
    await expectRejectedWithoutTrace(ctx().db, () => put(entries), code, message);
  }

  it('links contexts (multiple parents, diamonds) and reads direct parents and children in ascending id', async () => {
    const [top, left, right, bottom] = await new GraphFixture(ctx().db).contexts(4);
    await put([link(bottom, right), link(bottom, left), link(left, top), link(right, top)]);
    expect(await parents(bottom)).toEqual([left, right]);
    expect(await children(top)).toEqual([left, right]);
    expect(await parents(top)).toEqual([]);
    expect(await children(bottom)).toEqual([]);
    expect(await parents(999_999)).toEqual([]);
    expect(await ctx().store.call('getParentContextsByContext', {})).toEqual({ contexts: [] });
    const [first] = (await ctx().store.call('getParentContextsByContext', { contextId: BigInt(bottom) })).contexts!;
    expect(first).toMatchObject({ id: BigInt(left), name: expect.any(String), type: expect.stringMatching(/^graph_fixture_context_/) });
  });

  it('rejects the six missing/unknown id combinations and self links with INVALID_ARGUMENT', async () => {
    const [c] = await new GraphFixture(ctx().db).contexts(1);
    const [ok1, ok2] = await new GraphFixture(ctx().db).contexts(2);
    const unknown1 = 7_000_001;
    const unknown2 = 7_000_002;
    const cases: [ParentContext, RegExp][] = [
      [{}, /Both child_id and parent_id must be specified.*child_id unset, parent_id unset/],
      [{ childId: BigInt(c) }, /parent_id unset/],
      [{ parentId: BigInt(c) }, /child_id unset/],
      [link(unknown1, unknown2), /cannot be found.*child_id 7000001, parent_id 7000002/],
      [link(c, unknown1), /cannot be found.*parent_id 7000001/],
      [link(unknown1, c), /cannot be found.*child_id 7000001/],
      [link(c, c), /cannot be its own parent/],
    ];
    for (const [bad, message] of cases) {
      await rejected([link(ok1, ok2), bad], StatusCode.INVALID_ARGUMENT, message);
    }
  });

  it('rejects cycles through stored links and through links earlier in the request', async () => {
    const [a, b, c, d] = await new GraphFixture(ctx().db).contexts(4);
    await put([link(b, a), link(c, b)]); // a <- b <- c
    await rejected([link(a, b)], StatusCode.INVALID_ARGUMENT, new RegExp(`cycle detected.*context ${a} is already an ancestor of ${b}`));
    await rejected([link(a, c)], StatusCode.INVALID_ARGUMENT, /cycle detected/);
    await rejected([link(d, c), link(a, d)], StatusCode.INVALID_ARGUMENT, /cycle detected.*parent_contexts\[1\]/);
    // A further parent of an ancestor is not a cycle.
    await put([link(a, d)]);
    expect(await parents(a)).toEqual([d]);
  });

  it('answers ALREADY_EXISTS for a link stored before or earlier in the same request', async () => {
    const [p, c1, c2] = await new GraphFixture(ctx().db).contexts(3);
    await put([link(c1, p)]);
    await rejected([link(c2, p), link(c1, p)], StatusCode.ALREADY_EXISTS, new RegExp(`child_id ${c1}, parent_id ${p} \\(parent_contexts\\[1\\]\\)`));
    await rejected([link(c2, p), link(c2, p)], StatusCode.ALREADY_EXISTS, /parent_contexts\[1\]/);
  });

  it('serves the batch reads as a map holding only contexts that have parents / children', async () => {
    const [p1, p2, c1, c2, lonely] = await new GraphFixture(ctx().db).contexts(5);
    await put([link(c1, p2), link(c1, p1), link(c2, p1)]);
    const byChild = await ctx().store.call('getParentContextsByContexts', {
      contextIds: [BigInt(c1), BigInt(c2), BigInt(lonely), 888_888n, BigInt(c1)],
    });
    expect([...byChild.contexts!.keys()].sort()).toEqual([BigInt(c1), BigInt(c2)].sort());
    expect(ids(byChild.contexts!.get(BigInt(c1))!.parentContexts)).toEqual([p1, p2]);
    expect(ids(byChild.contexts!.get(BigInt(c2))!.parentContexts)).toEqual([p1]);
    const byParent = await ctx().store.call('getChildrenContextsByContexts', { contextIds: [BigInt(p1), BigInt(lonely)] });
    expect([...byParent.contexts!.keys()]).toEqual([BigInt(p1)]);
    expect(ids(byParent.contexts!.get(BigInt(p1))!.childrenContexts)).toEqual([c1, c2]);
    for (const method of ['getParentContextsByContexts', 'getChildrenContextsByContexts'] as const) {
      const error = (await ctx().store.call(method, { contextIds: [] }).catch((e) => e)) as MlmdError;
      expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
      expect(error.message).toBe('Given context_ids is empty.');
    }
  });
});
