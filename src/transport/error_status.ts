import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from '../observability/logger';
import { isMlmdError } from '../errors';

/**
 * The one place where a failure becomes a gRPC status. MlmdError carries the absl/gRPC code
 * upstream would answer and a message written for the client, so both pass through
 * unchanged. Anything else is a bug or an unexpected driver failure: the client gets
 * INTERNAL with a message that reveals nothing (SQL, paths, credentials), the log gets the
 * stack.
 */
export function toServiceError(error: unknown, rpc: string, logger?: Logger): Partial<ServiceError> {
  if (isMlmdError(error)) {
    // An error object with OK would be sent as success without a response; never do that.
    const valid = Number.isInteger(error.code) && error.code > Status.OK && error.code <= Status.UNAUTHENTICATED;
    return { code: valid ? (error.code as number as Status) : Status.UNKNOWN, details: error.message, metadata: new Metadata() };
  }
  logger?.error({ err: error, rpc }, `unexpected error in ${rpc}`);
  return {
    code: Status.INTERNAL,
    details: `Internal error while handling ${rpc}; the server log has the details.`,
    metadata: new Metadata(),
  };
}
