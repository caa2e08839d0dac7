import { describe, expect, it } from 'vitest';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import type { MetadataStore } from '../../src/store/metadata_store';
import { InlineReads } from '../../src/threads/inline_reads';

const bytes = (request: unknown) => new Uint8Array(MetadataStoreServiceService.getArtifactsById.requestSerialize(request as never));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose answer takes `delays.next` ms, recording the requests it decoded. */
function fakeStore(delays: { next: number }) {
  const seen: unknown[] = [];
  const store = {
    async call(method: string, request: unknown) {
      seen.push([method, request]);
      await sleep(delays.next);
      return { artifacts: [] };
    },
  } as unknown as MetadataStore;
  return { store, seen };
}

describe('InlineReads (bounded SQLite reads on the event loop)', () => {
  it('takes bounded reads in their wire encoding only, and decodes them before the store sees them', async () => {
    const { store, seen } = fakeStore({ next: 0 });
    const inline = new InlineReads(store);
    const request = bytes({ artifactIds: [5n] });
    expect(inline.accepts('getArtifactsById', request)).toBe(true);
    expect(inline.accepts('getArtifactsById', { artifactIds: [5n] })).toBe(false);
    expect(inline.accepts('getArtifacts', request)).toBe(false);
    expect(inline.accepts('putArtifacts', request)).toBe(false);
    await inline.call('getArtifactsById', request, {});
    expect(seen).toEqual([['getArtifactsById', expect.objectContaining({ artifactIds: [5n] })]]);
  });

  it('an RPC that proves slow goes to the threads for the demotion period, then comes back', async () => {
    const delays = { next: 30 };
    let now = 1_000;
    const inline = new InlineReads(fakeStore(delays).store, { slowMs: 20, demotionMs: 60_000 }, () => now);
    const request = bytes({ artifactIds: [1n] });
    await inline.call('getArtifactsById', request, {});
    expect(inline.accepts('getArtifactsById', request)).toBe(false);
    expect(inline.demoted()).toEqual(['getArtifactsById']);
    // Other bounded reads are not affected.
    expect(inline.accepts('getExecutionsById', new Uint8Array(MetadataStoreServiceService.getExecutionsById.requestSerialize({ executionIds: [1n] })))).toBe(true);
    now += 59_999;
    expect(inline.accepts('getArtifactsById', request)).toBe(false);
    now += 1;
    expect(inline.accepts('getArtifactsById', request)).toBe(true);
    expect(inline.demoted()).toEqual([]);
    // A fast call keeps it here.
    delays.next = 0;
    await inline.call('getArtifactsById', request, {});
    expect(inline.accepts('getArtifactsById', request)).toBe(true);
  });

  it('a failed slow call demotes its RPC too', async () => {
    let now = 0;
    const store = {
      async call() {
        await sleep(30);
        throw new Error('boom');
      },
    } as unknown as MetadataStore;
    const inline = new InlineReads(store, { slowMs: 20, demotionMs: 1_000 }, () => now);
    await expect(inline.call('getArtifactsById', bytes({ artifactIds: [1n] }), {})).rejects.toThrow('boom');
    expect(inline.accepts('getArtifactsById', bytes({ artifactIds: [1n] }))).toBe(false);
    now = 1_000;
    expect(inline.accepts('getArtifactsById', bytes({ artifactIds: [1n] }))).toBe(true);
  });
});
