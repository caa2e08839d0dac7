import type { ListOperationOptions } from '../../generated/ml_metadata/proto/metadata_store';

/**
 * The one rule of upstream's optional-paging reads (GetArtifacts, Get*ByType,
 * Get*ByContext, ...): a request without `options` gets every matching node in one response
 * (the Python client relies on it); with options, one page under ListOperationOptions.
 */
export function everythingOrOnePage<T>(
  options: ListOperationOptions | undefined,
  read: { everything(): Promise<T>; page(options: ListOperationOptions): Promise<T> },
): Promise<T> {
  return options === undefined ? read.everything() : read.page(options);
}
