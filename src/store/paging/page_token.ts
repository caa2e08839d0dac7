import {
  ListOperationNextPageToken,
  type ListOperationOptions,
} from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../../errors';

/**
 * next_page_token is upstream's format, so a token from either server continues a listing on
 * the other: a serialized ListOperationNextPageToken in web-safe base64 without padding.
 */
export function encodePageToken(token: ListOperationNextPageToken): string {
  return Buffer.from(ListOperationNextPageToken.encode(token).finish()).toString('base64url');
}

export function decodePageToken(text: string): ListOperationNextPageToken {
  // Buffer's base64url decoder silently skips invalid characters; reject them explicitly.
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) {
    throw invalidArgument(`Failed to decode next_page_token "${truncate(text)}": not web-safe base64.`);
  }
  try {
    return ListOperationNextPageToken.decode(Buffer.from(text, 'base64url'));
  } catch (e) {
    throw invalidArgument(`Failed to parse next_page_token "${truncate(text)}": ${(e as Error).message}`);
  }
}

/** The options as they go into a token: the request's own, minus its page token. */
export function optionsForToken(options: ListOperationOptions): ListOperationOptions {
  const copy: ListOperationOptions = { ...options };
  delete copy.nextPageToken;
  return copy;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
