import { expect } from 'vitest';
import type { Database } from '../../src/database';
import { isMlmdError, StatusCode } from '../../src/errors';
import type { MetadataStore } from '../../src/store/metadata_store';

/** One call's outcome under load. */
export interface Outcome {
  kind: 'write' | 'read';
  at: number;
  code: StatusCode;
  message: string;
}

export interface LoadResult {
  outcomes: Outcome[];
  /** Writes whose caller got OK: uri -> id. */
  acknowledged: Map<string, number>;
}

/**
 * Writers (PutArtifacts with a string property, so a half-written one shows as a node without
 * its property) and readers (GetArtifactsByID of acknowledged ids) calling the store until
 * `stop` resolves. Every outcome is kept with its status code.
 */
export async function runLoad(
  store: MetadataStore,
  typeId: number,
  options: { writers: number; readers: number; stop: Promise<void>; tag: string },
): Promise<LoadResult> {
  const outcomes: Outcome[] = [];
  const acknowledged = new Map<string, number>();
  let stopped = false;
  void options.stop.then(() => (stopped = true));
  let n = 0;
  const record = async (kind: Outcome['kind'], call: () => Promise<void>) => {
    try {
      await call();
      outcomes.push({ kind, at: Date.now(), code: StatusCode.OK, message: '' });
    } catch (e) {
      outcomes.push({
        kind,
        at: Date.now(),
        code: isMlmdError(e) ? e.code : StatusCode.UNKNOWN,
        message: (e as Error).message ?? String(e),
      });
      // A failing call is retried by clients after a pause, not in a hot loop.
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const writer = async () => {
    while (!stopped) {
      const uri = `${options.tag}-${n++}`;
      await record('write', async () => {
        const { artifactIds } = await store.call('putArtifacts', {
          artifacts: [{ typeId, uri, customProperties: { payload: { stringValue: `payload of ${uri}` } } }],
        } as never);
        acknowledged.set(uri, Number(artifactIds![0]));
      });
    }
  };
  const reader = async () => {
    while (!stopped) {
      const ids = [...acknowledged.values()].slice(-20);
      if (ids.length === 0) {
        // Nothing to read yet. (A read of no ids sends no statement at all, so looping on it
        // would never yield to the writers' I/O.)
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      await record('read', async () => {
        await store.call('getArtifactsById', { artifactIds: ids } as never);
      });
    }
  };
  await Promise.all([
    ...Array.from({ length: options.writers }, writer),
    ...Array.from({ length: options.readers }, reader),
  ]);
  return { outcomes, acknowledged };
}

/** Every acknowledged write is there with its property; no artifact of this load lacks it. */
export async function expectWritesComplete(db: Database, tag: string, acknowledged: Map<string, number>): Promise<void> {
  const rows = (await db
    .knex(db.table('Artifact'))
    .leftJoin(db.table('ArtifactProperty'), function () {
      this.on(`${db.table('Artifact')}.id`, '=', `${db.table('ArtifactProperty')}.artifact_id`);
    })
    .where(`${db.table('Artifact')}.uri`, 'like', `${tag}-%`)
    .select(`${db.table('Artifact')}.id as id`, `${db.table('Artifact')}.uri as uri`, `${db.table('ArtifactProperty')}.string_value as value`)) as Array<{
    id: number;
    uri: string;
    value: string | null;
  }>;
  const stored = new Map(rows.map((r) => [r.uri, r]));
  for (const [uri, id] of acknowledged) {
    expect(stored.get(uri), `acknowledged write ${uri}`).toMatchObject({ id, value: `payload of ${uri}` });
  }
  // A commit whose answer was lost with the connection may be present though its caller got
  // UNAVAILABLE (the message says so); present or not, it is never half-written.
  for (const row of rows) expect(row.value, `artifact ${row.uri} without its property`).toBe(`payload of ${row.uri}`);
}

/** Codes a client may see while its database is away: retryable ones only. */
export const OUTAGE_CODES = [StatusCode.OK, StatusCode.UNAVAILABLE, StatusCode.ABORTED];

export function unexpected(outcomes: Outcome[], allowed: StatusCode[] = OUTAGE_CODES): Outcome[] {
  return outcomes.filter((o) => !allowed.includes(o.code));
}
