import {
  ListOperationOptions_OrderByField_Field as OrderField,
  type ListOperationNextPageToken,
  type ListOperationOptions,
} from '../../generated/ml_metadata/proto/metadata_store';
import { listOptionsWithDefaults, orderByWithDefaults } from '../../proto/defaults';
import { invalidArgument } from '../../errors';
import type { KeysetPosition, NodePageQuery, PageOrderColumn, PageRow } from '../../repositories/node_page_repository';
import { decodePageToken, encodePageToken, optionsForToken } from './page_token';

/** Upstream reads at most this many rows per page plus one to see whether more exist. */
export const MAX_PAGE_SIZE = 100;

const ORDER_COLUMNS: Record<number, PageOrderColumn> = {
  [OrderField.CREATE_TIME]: 'create_time_since_epoch',
  [OrderField.LAST_UPDATE_TIME]: 'last_update_time_since_epoch',
  [OrderField.ID]: 'id',
};

export interface PageRequest {
  field: OrderField;
  ascending: boolean;
  /** Rows to return on this page. */
  pageSize: number;
  /** Whether a further page may be announced (false for upstream's >100 quirk). */
  mayContinue: boolean;
  after?: ListOperationNextPageToken;
  options: ListOperationOptions;
}

/**
 * Reads ListOperationOptions the way upstream does: proto2 defaults for absent fields
 * (page 20, ID ascending), max_result_size must be positive, and a token must have been
 * issued for the same order field and direction.
 */
export function pageRequestFrom(options: ListOperationOptions): PageRequest {
  const effective = listOptionsWithDefaults(options);
  const size = effective.maxResultSize;
  if (size <= 0) {
    throw invalidArgument(`max_result_size field value is required to be greater than 0. Set value: ${size}`);
  }
  const field = effective.orderBy.field;
  if (ORDER_COLUMNS[field] === undefined) {
    throw invalidArgument(`Unsupported field: ${OrderField[field] ?? field} specified in ListOperationOptions`);
  }
  const ascending = effective.orderBy.isAsc;
  // QUIRK kept from upstream (pinned by its tests): asking for more than 100 returns up to
  // 101 rows and never a token.
  const pageSize = size > MAX_PAGE_SIZE ? MAX_PAGE_SIZE + 1 : size;
  const request: PageRequest = { field, ascending, pageSize, mayContinue: size <= MAX_PAGE_SIZE, options };
  if (options.nextPageToken) {
    const token = decodePageToken(options.nextPageToken);
    const tokenOrder = orderByWithDefaults(token.setOptions?.orderByField);
    if (tokenOrder.field !== field || tokenOrder.isAsc !== ascending) {
      throw invalidArgument(
        'ListOperationOptions mismatch between calls: the order_by_field of the request differs from the one the next_page_token was issued for.',
      );
    }
    if (field === OrderField.LAST_UPDATE_TIME && (token.listedIds ?? []).length === 0) {
      throw invalidArgument('Invalid next_page_token: listed_ids is empty for a LAST_UPDATE_TIME listing.');
    }
    request.after = token;
  }
  return request;
}

/**
 * The statement's side of a page: order, the keyset position read from the token, and how
 * many rows to read (one more than the page, to tell whether another exists).
 */
export function pageQueryOf(page: PageRequest): NodePageQuery {
  return { order: ORDER_COLUMNS[page.field], ascending: page.ascending, limit: page.pageSize + 1, after: keysetOf(page) };
}

function keysetOf(page: PageRequest): KeysetPosition | undefined {
  const token = page.after;
  if (!token) return undefined;
  if (page.field === OrderField.ID) return { kind: 'id', afterId: String(token.fieldOffset ?? token.idOffset ?? 0n) };
  const time = String(token.fieldOffset ?? 0n);
  if (page.field === OrderField.CREATE_TIME) return { kind: 'time_and_id', time, lastId: String(token.idOffset ?? 0n) };
  // listed_ids are the page's trailing ids sharing its last update time.
  const listed = (token.listedIds ?? []).map((v) => Number(v));
  return { kind: 'time_and_listed', time, boundary: page.ascending ? Math.max(...listed) : Math.min(...listed), listed };
}

/** Splits the over-fetched rows into the page and, when more exist, the token for the next. */
export function finishPage<T extends PageRow>(rows: T[], page: PageRequest): { rows: T[]; nextPageToken?: string } {
  if (rows.length <= page.pageSize || !page.mayContinue) {
    return { rows: rows.slice(0, page.pageSize) };
  }
  const pageRows = rows.slice(0, page.pageSize);
  const last = pageRows[pageRows.length - 1];
  const token: ListOperationNextPageToken = { setOptions: optionsForToken(page.options) };
  if (page.field === OrderField.ID) {
    token.idOffset = BigInt(last.id);
    token.fieldOffset = BigInt(last.id);
  } else if (page.field === OrderField.CREATE_TIME) {
    token.idOffset = BigInt(last.id);
    token.fieldOffset = BigInt(last.create_time_since_epoch);
  } else {
    const t = Number(last.last_update_time_since_epoch);
    token.fieldOffset = BigInt(t);
    token.listedIds = [];
    for (let i = pageRows.length - 1; i >= 0 && Number(pageRows[i].last_update_time_since_epoch) === t; i--) {
      token.listedIds.push(BigInt(pageRows[i].id));
    }
  }
  return { rows: pageRows, nextPageToken: encodePageToken(token) };
}
