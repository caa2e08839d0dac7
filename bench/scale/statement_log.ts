/**
 * Statements per RPC from MariaDB's general_log: the harness calls each RPC once per subject
 * between marker calls (`get_artifacts_by_uri('mlmd-scale-marker:K')`) made on a store of their
 * own; whatever other connections ran between marker K and K+1 belongs to that RPC.
 */
export interface Marker {
  marker: string;
  query: string | null;
  subject: string | null;
}

export interface LogRow {
  thread_id: number;
  command_type: string;
  argument: string;
}

export interface StatementCounts {
  query: string;
  subject: string;
  /** Query, Execute and Prepare commands (BEGIN and COMMIT included). */
  statements: number;
  /** Connect commands: a store opened for the call. */
  connects: number;
}

const STATEMENT_COMMANDS = new Set(['Query', 'Execute', 'Prepare']);

export function countStatements(log: LogRow[], markers: Marker[]): StatementCounts[] {
  const firstRow = markers.map((m) => log.findIndex((row) => row.argument.includes(`'${m.marker}'`)));
  if (firstRow.some((i) => i < 0)) throw new Error('a marker is missing from the general log');
  const markerThread = log[firstRow[0]].thread_id;
  const counts: StatementCounts[] = [];
  for (let k = 0; k + 1 < markers.length; k++) {
    const { query, subject } = markers[k];
    if (query === null || subject === null) continue;
    const between = log.slice(firstRow[k] + 1, firstRow[k + 1]).filter((row) => row.thread_id !== markerThread);
    counts.push({
      query,
      subject,
      statements: between.filter((row) => STATEMENT_COMMANDS.has(row.command_type)).length,
      connects: between.filter((row) => row.command_type === 'Connect').length,
    });
  }
  return counts;
}
