/** One measured cell's numbers, in the shape bench/mlmd_compare.py also writes. */
export interface ResultRow {
  backend: string;
  workload: string;
  subject: 'ours' | 'upstream' | 'db-limit';
  clients: number;
  ops: number;
  mean_us: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
  /** Successful operations ÷ wall time from the first client's start to the last one's end. */
  ops_per_s: number;
  retries: number;
  failures: number;
  error: string | null;
}

/** What one client of a cell measured: per-op latencies (µs) and its start/end (ms). */
export interface CellParts {
  lat: number[];
  t0: number;
  t1: number;
  retries: number;
  failures: number;
  error: string | null;
}

/** Nearest-rank percentile of an ascending list (the same rule as the Python harness). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(parts: readonly CellParts[]): Omit<ResultRow, 'backend' | 'workload' | 'subject' | 'clients'> {
  const lat = parts.flatMap((p) => p.lat).sort((a, b) => a - b);
  const wallS = (Math.max(...parts.map((p) => p.t1)) - Math.min(...parts.map((p) => p.t0))) / 1000;
  return {
    ops: lat.length,
    mean_us: lat.length ? lat.reduce((s, x) => s + x, 0) / lat.length : NaN,
    p50_us: percentile(lat, 50),
    p95_us: percentile(lat, 95),
    p99_us: percentile(lat, 99),
    ops_per_s: wallS > 0 ? lat.length / wallS : NaN,
    retries: parts.reduce((s, p) => s + p.retries, 0),
    failures: parts.reduce((s, p) => s + p.failures, 0),
    error: parts.find((p) => p.error)?.error ?? null,
  };
}
