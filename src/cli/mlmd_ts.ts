#!/usr/bin/env node
import fs from 'node:fs';
import { credentials, status as Status, type ServiceError } from '@grpc/grpc-js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  RetentionServiceClient,
  type PurgeCounts,
  type PurgeOptions,
  type PurgeResult,
} from '../generated/mlmd_ts/retention/v1/retention_service';

/**
 * `mlmd-ts`: the command-line tool shipped with the server. It talks to a running server
 * over gRPC (mlmd_ts.retention.v1.RetentionService); it never opens the database itself.
 *
 *   mlmd-ts purge contexts --filter "type = 'system.PipelineRun' AND ..." [--execute]
 *
 * A purge is a dry run unless --execute is given. Exit codes, for scripts:
 */
export const EXIT = {
  /** Dry run answered, or the purge ran to the end. */
  OK: 0,
  /** The server failed the purge part-way (what was committed stays; run it again). */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The server refused the request (bad filter, match-all without --allow-match-all): nothing deleted. */
  REFUSED: 3,
  /** The server could not be reached. */
  UNREACHABLE: 4,
} as const;

type Kind = 'contexts' | 'artifacts' | 'executions';
const METHOD = { contexts: 'purgeContexts', artifacts: 'purgeArtifacts', executions: 'purgeExecutions' } as const;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

type CountKey = Exclude<keyof PurgeCounts, '_unknownFields'>;

const ROWS: [CountKey, string][] = [
  ['contexts', 'Context'],
  ['contextProperties', 'ContextProperty'],
  ['parentContexts', 'ParentContext'],
  ['executions', 'Execution'],
  ['executionProperties', 'ExecutionProperty'],
  ['artifacts', 'Artifact'],
  ['artifactProperties', 'ArtifactProperty'],
  ['events', 'Event'],
  ['eventPaths', 'EventPath'],
  ['attributions', 'Attribution'],
  ['associations', 'Association'],
];

function n(v: bigint | undefined): bigint {
  return v ?? 0n;
}

/** Counts per table, then sample ids, as aligned text. */
export function renderResult(result: PurgeResult): string[] {
  const counts = result.counts ?? {};
  const lines = [result.dryRun ? 'DRY RUN: nothing was deleted (add --execute to delete)' : `DELETED in ${result.batches ?? 0} batches`];
  const width = Math.max(...ROWS.map(([, t]) => t.length));
  const numbers = ROWS.map(([k]) => n(counts[k]).toString());
  const numWidth = Math.max(4, ...numbers.map((s) => s.length));
  lines.push(`${'table'.padEnd(width)}  ${'rows'.padStart(numWidth)}`);
  ROWS.forEach(([, table], i) => lines.push(`${table.padEnd(width)}  ${numbers[i].padStart(numWidth)}`));
  lines.push(`events cut from surviving nodes: ${n(counts.eventsOfSurvivingNodes)}`);
  for (const [label, ids] of [
    ['context', result.sampleContextIds],
    ['execution', result.sampleExecutionIds],
    ['artifact', result.sampleArtifactIds],
  ] as const) {
    if (ids && ids.length > 0) lines.push(`sample ${label} ids (${ids.length}${ids.length >= 100 ? ', first 100' : ''}): ${ids.join(', ')}`);
  }
  return lines;
}

function addCounts(a: PurgeCounts, b: PurgeCounts | undefined): PurgeCounts {
  const sum: Record<string, bigint> = {};
  for (const [k] of ROWS) sum[k] = n(a[k]) + n(b?.[k]);
  sum.eventsOfSurvivingNodes = n(a.eventsOfSurvivingNodes) + n(b?.eventsOfSurvivingNodes);
  return sum as PurgeCounts;
}

function call(client: RetentionServiceClient, kind: Kind, options: PurgeOptions, timeoutMs: number): Promise<PurgeResult> {
  return new Promise((resolve, reject) => {
    (client[METHOD[kind]] as Function).call(
      client,
      { options },
      { deadline: Date.now() + timeoutMs },
      (error: ServiceError | null, response: { result?: PurgeResult }) => (error ? reject(error) : resolve(response.result ?? {})),
    );
  });
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive integer');
  return Number(value);
}

function exitCodeOf(error: ServiceError): number {
  if (error.code === Status.INVALID_ARGUMENT || error.code === Status.FAILED_PRECONDITION) return EXIT.REFUSED;
  if (error.code === Status.UNAVAILABLE || error.code === Status.DEADLINE_EXCEEDED) return EXIT.UNREACHABLE;
  return EXIT.FAILED;
}

interface PurgeFlags {
  filter: string;
  keepFilter?: string;
  execute: boolean;
  allowMatchAll: boolean;
  batchSize?: number;
  server: string;
  tls: boolean;
  ca?: string;
  timeout: number;
  json: boolean;
}

async function purge(kind: Kind, flags: PurgeFlags, io: CliIo): Promise<number> {
  const creds = flags.tls ? credentials.createSsl(flags.ca ? fs.readFileSync(flags.ca) : null) : credentials.createInsecure();
  const client = new RetentionServiceClient(flags.server, creds);
  const base: PurgeOptions = {
    filterQuery: flags.filter,
    keepFilterQuery: flags.keepFilter,
    allowMatchAll: flags.allowMatchAll,
    batchSize: flags.batchSize,
  };
  const timeoutMs = flags.timeout * 1000;
  const print = (result: PurgeResult) => (flags.json ? io.out(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))) : renderResult(result).forEach(io.out));
  try {
    if (!flags.execute) {
      print(await call(client, kind, { ...base, dryRun: true }, timeoutMs));
      return EXIT.OK;
    }
    // A real purge one batch per call, so that progress shows between batches; each batch is
    // its own transaction on the server, and stopping here leaves whole batches behind.
    let totals: PurgeCounts = {};
    let batches = 0;
    const samples = { sampleContextIds: [] as bigint[], sampleExecutionIds: [] as bigint[], sampleArtifactIds: [] as bigint[] };
    const started = Date.now();
    for (;;) {
      const step = await call(client, kind, { ...base, dryRun: false, maxBatches: 1 }, timeoutMs);
      batches += step.batches ?? 0;
      totals = addCounts(totals, step.counts);
      for (const key of Object.keys(samples) as (keyof typeof samples)[]) {
        if (samples[key].length < 100) samples[key].push(...(step[key] ?? []).slice(0, 100 - samples[key].length));
      }
      if ((step.batches ?? 0) > 0) {
        io.err(
          `batch ${batches}: ${n(step.counts?.contexts)} contexts, ${n(step.counts?.executions)} executions, ${n(step.counts?.artifacts)} artifacts ` +
            `(total ${n(totals.contexts)} / ${n(totals.executions)} / ${n(totals.artifacts)}, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
      }
      if (step.complete || (step.batches ?? 0) === 0) break;
    }
    print({ dryRun: false, counts: totals, batches, complete: true, ...samples });
    return EXIT.OK;
  } catch (e) {
    const error = e as ServiceError;
    if (typeof error.code !== 'number') throw e;
    io.err(`mlmd-ts: ${Status[error.code] ?? error.code}: ${error.details || error.message}`);
    return exitCodeOf(error);
  } finally {
    client.close();
  }
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = new Command('mlmd-ts')
    .description('Command-line tool of mlmd-ts; talks to a running server over gRPC.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program
    .command('purge')
    .description(
      'Delete nodes chosen by an MLMD filter_query, with what only they hold (see README "Retention"). ' +
        'A dry run unless --execute is given.\n' +
        `Exit codes: ${EXIT.OK} done, ${EXIT.FAILED} failed part-way, ${EXIT.USAGE} usage, ${EXIT.REFUSED} refused by the server (nothing deleted), ${EXIT.UNREACHABLE} server unreachable.`,
    )
    .addArgument(program.createArgument('<kind>', 'what the filter chooses').choices(['contexts', 'artifacts', 'executions']))
    .requiredOption('--filter <filter_query>', "nodes to delete, e.g. \"type = 'system.PipelineRun' AND create_time_since_epoch < 1733011200000\"")
    .option('--keep-filter <filter_query>', 'never delete nodes matching this, e.g. "custom_properties.pinned.bool_value = true"')
    .option('--execute', 'really delete (default: dry run)', false)
    .option('--allow-match-all', 'allow a filter that matches every node of its kind', false)
    .addOption(new Option('--batch-size <n>', 'chosen nodes per batch (server default 1000)').argParser(positiveInt))
    .addOption(new Option('--server <host:port>', 'the mlmd-ts server').env('MLMD_SERVER').default('localhost:8080'))
    .option('--tls', 'connect with TLS', false)
    .option('--ca <file>', 'PEM roots to verify the server with --tls')
    .addOption(new Option('--timeout <seconds>', 'deadline per call').argParser(positiveInt).default(600))
    .option('--json', 'print the result as one JSON object', false)
    .action((kind: Kind, flags: PurgeFlags) => {
      pending = purge(kind, flags, io);
    });
  try {
    await program.parseAsync(['node', 'mlmd-ts', ...argv]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    throw e;
  }
  if (!pending) {
    io.err(program.helpInformation().trimEnd());
    return EXIT.USAGE;
  }
  return pending;
}

if (require.main === module) {
  runCli(process.argv.slice(2), { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`mlmd-ts: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = EXIT.FAILED;
    },
  );
}
