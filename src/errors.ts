/**
 * Errors raised below the transport layer. The codes are the canonical gRPC/absl status
 * numbers (upstream casts absl codes to gRPC codes one-to-one), so the transport can pass
 * `code` straight through without the store depending on @grpc/grpc-js.
 */
export enum StatusCode {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

export class MlmdError extends Error {
  constructor(
    readonly code: StatusCode,
    message: string,
  ) {
    super(message);
    this.name = 'MlmdError';
  }
}

export const invalidArgument = (message: string) => new MlmdError(StatusCode.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new MlmdError(StatusCode.NOT_FOUND, message);
export const alreadyExists = (message: string) => new MlmdError(StatusCode.ALREADY_EXISTS, message);
export const failedPrecondition = (message: string) => new MlmdError(StatusCode.FAILED_PRECONDITION, message);
export const aborted = (message: string) => new MlmdError(StatusCode.ABORTED, message);
export const unimplemented = (message: string) => new MlmdError(StatusCode.UNIMPLEMENTED, message);
export const internal = (message: string) => new MlmdError(StatusCode.INTERNAL, message);
export const unavailable = (message: string) => new MlmdError(StatusCode.UNAVAILABLE, message);
export const dataLoss = (message: string) => new MlmdError(StatusCode.DATA_LOSS, message);

export function isMlmdError(e: unknown): e is MlmdError {
  return e instanceof MlmdError;
}

/**
 * Thrown by a unit of work (the store) that lost a race the database did not report as a conflict (e.g.
 * two transactions creating the same context: the loser sees a unique violation), when a
 * fresh attempt will see the winner's rows and succeed. The runner rolls back and re-runs
 * the unit like a deadlock; once attempts are exhausted the caller gets `ifExhausted`.
 */
export class RetryTransaction extends Error {
  constructor(readonly ifExhausted: MlmdError) {
    super(ifExhausted.message);
    this.name = 'RetryTransaction';
  }
}
