/**
 * `grpc_code` label values. We follow go-grpc-prometheus, which writes Go's
 * `codes.Code.String()` (CamelCase: `InvalidArgument`, `NotFound`, ...), rather than the
 * UPPER_SNAKE names nice-grpc-prometheus uses: the widely shared gRPC dashboards and alert
 * rules (e.g. `grpc_code!="OK"`, `grpc_code="Unavailable"`) are written against Go's names.
 * Note Go spells code 1 `Canceled` (one l), unlike the proto enum's CANCELLED.
 */
export const GRPC_CODE_NAMES: readonly string[] = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** The label for a status number; numbers outside the canonical range read as Go does. */
export function grpcCodeName(code: number): string {
  return GRPC_CODE_NAMES[code] ?? `Code(${code})`;
}
