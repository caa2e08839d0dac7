import { status as Status } from '@grpc/grpc-js';

/**
 * The HTTP status of a JSON error answer, per gRPC code: the mapping grpc-gateway and
 * Google's REST APIs use (google/rpc/code.proto), so HTTP tooling sees a 404 for NOT_FOUND.
 */
const HTTP_STATUS: Record<number, number> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.FAILED_PRECONDITION]: 400,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
  [Status.UNAUTHENTICATED]: 401,
};

export function httpStatusOf(code: Status): number {
  return HTTP_STATUS[code] ?? 500;
}
