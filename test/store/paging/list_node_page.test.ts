import { beforeAll, expect, it } from 'vitest';
import {
  ListOperationNextPageToken,
  ListOperationOptions_OrderByField_Field as Field,
  type ListOperationOptions,
} from '../../../src/generated/ml_metadata/proto/metadata_store';
import { StatusCode, type MlmdError } from '../../../src/errors';
import { listNodeIdPage } from '../../../src/store/paging/list_node_page';
import { decodePageToken } from '../../../src/store/paging/page_token';
import { insertType, statementsDuring, workStatements } from '../../support/store_assertions';
import { describeStore } from '../store_suite';

// 110 artifacts whose create times tie in groups of 7 and whose update times tie in groups of
// 13 and run against id order, so every order field exercises tie-breaking across pages.
const COUNT = 110;
const createTime = (id: number) => 1_000 + Math.floor((id - 1) / 7);
const updateTime = (id: number) => 9_000 - Math.floor((id - 1) / 13);

function expectedOrder(field: Field, ascending: boolean): number[] {
  const ids = Array.from({ length: COUNT }, (_, i) => i + 1);
  const key = field === Field.CREATE_TIME ? createTime : field === Field.LAST_UPDATE_TIME ? updateTime : (id: number) => id;
  ids.sort((a, b) => key(a) - key(b) || a - b);
  return ascending ? ids : ids.reverse();
}

async function statusOf(promise: Promise<unknown>): Promise<StatusCode> {
  try {
    await promise;
    return StatusCode.OK;
  } catch (e) {
    return (e as MlmdError).code;
  }
}

describeStore('listNodeIdPage', (ctx) => {
  beforeAll(async () => {
    const { db } = ctx();
    const type = await insertType(db, 'artifact');
    const rows = Array.from({ length: COUNT }, (_, i) => ({
      type_id: Number(type.id),
      uri: `u${i + 1}`,
      create_time_since_epoch: createTime(i + 1),
      last_update_time_since_epoch: updateTime(i + 1),
    }));
    await db.knex(db.table('Artifact')).insert(rows);
  });

  const page = (options: ListOperationOptions) => ctx().db.transaction((tx) => listNodeIdPage(tx, 'Artifact', options));

  async function listAll(options: ListOperationOptions): Promise<number[][]> {
    const pages: number[][] = [];
    let token: string | undefined;
    do {
      const result = await page({ ...options, nextPageToken: token });
      pages.push(result.ids);
      token = result.nextPageToken;
    } while (token && pages.length < 200);
    return pages;
  }

  for (const field of [Field.ID, Field.CREATE_TIME, Field.LAST_UPDATE_TIME]) {
    for (const ascending of [true, false]) {
      for (const size of [1, 6, 20, 100]) {
        it(`pages through ${Field[field]} ${ascending ? 'asc' : 'desc'} by ${size} without gaps or repeats`, async () => {
          const pages = await listAll({ maxResultSize: size, orderByField: { field, isAsc: ascending } });
          expect(pages.flat()).toEqual(expectedOrder(field, ascending));
          expect(pages.slice(0, -1).every((p) => p.length === size)).toBe(true);
        });
      }
    }
  }

  it('defaults to 20 per page ordered by id ascending', async () => {
    const first = await page({});
    expect(first.ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(first.nextPageToken).toBeDefined();
  });

  it('keeps upstream quirk: more than 100 asked returns 101 rows and no token', async () => {
    const result = await page({ maxResultSize: 102 });
    expect(result.ids).toHaveLength(101);
    expect(result.nextPageToken).toBeUndefined();
    const hundred = await page({ maxResultSize: 100 });
    expect(hundred.ids).toHaveLength(100);
    const rest = await page({ maxResultSize: 100, nextPageToken: hundred.nextPageToken });
    expect(rest.ids).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i));
    expect(rest.nextPageToken).toBeUndefined();
  });

  it('writes tokens in upstream format', async () => {
    const byId = await page({ maxResultSize: 5, filterQuery: 'uri != ""' });
    const token = decodePageToken(byId.nextPageToken!);
    expect(token.idOffset).toBe(5n);
    expect(token.fieldOffset).toBe(5n);
    expect(token.setOptions?.maxResultSize).toBe(5);
    expect(token.setOptions?.filterQuery).toBe('uri != ""');
    expect(token.setOptions?.nextPageToken).toBeUndefined();
    expect(token.setOptions?.orderByField).toBeUndefined();
    expect(byId.nextPageToken).toMatch(/^[A-Za-z0-9_-]+$/);

    const byUpdate = await page({ maxResultSize: 15, orderByField: { field: Field.LAST_UPDATE_TIME } });
    const t2 = decodePageToken(byUpdate.nextPageToken!);
    const order = expectedOrder(Field.LAST_UPDATE_TIME, true).slice(0, 15);
    const last = order[14];
    const trailing = order.filter((id) => updateTime(id) === updateTime(last)).reverse();
    expect(trailing.length).toBeGreaterThan(1);
    expect(t2.fieldOffset).toBe(BigInt(updateTime(last)));
    expect(t2.listedIds).toEqual(trailing.map(BigInt));
    expect(t2.idOffset).toBeUndefined();
  });

  it('continues from a token built the way upstream builds it', async () => {
    const upstreamToken = Buffer.from(
      ListOperationNextPageToken.encode({ idOffset: 30n, fieldOffset: 30n, setOptions: { maxResultSize: 10 } }).finish(),
    ).toString('base64url');
    const result = await page({ maxResultSize: 3, nextPageToken: upstreamToken });
    expect(result.ids).toEqual([31, 32, 33]);
  });

  it('rejects bad options with INVALID_ARGUMENT', async () => {
    expect(await statusOf(page({ maxResultSize: 0 }))).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await statusOf(page({ maxResultSize: -3 }))).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await statusOf(page({ orderByField: { field: Field.FIELD_UNSPECIFIED } }))).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await statusOf(page({ nextPageToken: 'not a token!' }))).toBe(StatusCode.INVALID_ARGUMENT);
    expect(await statusOf(page({ nextPageToken: '____' }))).toBe(StatusCode.INVALID_ARGUMENT);
    const first = await page({ maxResultSize: 2 });
    const mismatch = page({ maxResultSize: 2, orderByField: { isAsc: false }, nextPageToken: first.nextPageToken });
    expect(await statusOf(mismatch)).toBe(StatusCode.INVALID_ARGUMENT);
    const emptyListed = Buffer.from(
      ListOperationNextPageToken.encode({ fieldOffset: 5n, setOptions: { orderByField: { field: Field.LAST_UPDATE_TIME } } }).finish(),
    ).toString('base64url');
    const bad = page({ orderByField: { field: Field.LAST_UPDATE_TIME }, nextPageToken: emptyListed });
    expect(await statusOf(bad)).toBe(StatusCode.INVALID_ARGUMENT);
  });

  it('never uses OFFSET: a later page is one keyset query', async () => {
    const { sql: statements } = await statementsDuring(ctx().db, async () => {
      const first = await page({ maxResultSize: 50 });
      await page({ maxResultSize: 50, nextPageToken: first.nextPageToken });
    });
    const selects = workStatements(statements).filter((s) => /^select/i.test(s));
    expect(selects).toHaveLength(2);
    expect(selects.join('\n')).not.toMatch(/offset/i);
  });
});
