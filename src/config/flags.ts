import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from './config_error';

/**
 * The command line. Upstream's `metadata_store_server` flags keep their names, defaults and
 * gflags syntax (`--flag=value`, `--flag value`, `-flag=value`, bare boolean `--flag`,
 * `--flag=true|false`, `--noflag`), so existing deployments (KFP's manifests, the Docker
 * entrypoint) start us unchanged. Our own flags follow the same style.
 */
export interface Flags {
  grpc_port: number;
  grpc_channel_arguments: string;
  metadata_source_config_type: string;
  metadata_store_server_config_file: string;
  metadata_store_connection_retries: number;
  enable_database_upgrade: boolean;
  downgrade_db_schema_version: number;
  mysql_config_host: string;
  mysql_config_port: number;
  mysql_config_database: string;
  mysql_config_user: string;
  mysql_config_password: string;
  mysql_config_socket: string;
  postgres_config_host: string;
  postgres_config_hostaddr: string;
  postgres_config_port: string;
  postgres_config_user: string;
  postgres_config_password: string;
  postgres_config_passfile: string;
  postgres_config_dbname: string;
  postgres_config_skip_db_creation: boolean;
  postgres_config_sslmode: string;
  postgres_config_sslcert: string;
  postgres_config_sslkey: string;
  postgres_config_sslpassword: string;
  postgres_config_sslrootcert: string;
  sqlite_path: string;
  metrics_port: number;
  grpc_web_port: number;
  grpc_web_cors_allowed_origins: string;
  log_level: string;
  db_pool_size: number;
  shutdown_grace_seconds: number;
  slow_rpc_ms: number;
  db_connect_timeout_seconds: number;
  db_statement_timeout_seconds: number;
  db_startup_timeout_seconds: number;
  workers: number;
  retention_config_file: string;
  tenancy: string;
  tenancy_config_file: string;
}

type FlagName = keyof Flags;
type Kind = 'string' | 'int' | 'number' | 'bool';

interface FlagSpec {
  kind: Kind;
  default: string | number | boolean;
  help: string;
  /** Inclusive bounds for numeric flags. */
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Environment variable read when the flag is not given (secrets stay out of `ps`). */
  env?: string;
  /** Shown as <placeholder> in --help. */
  arg?: string;
}

/** Default port of the Prometheus /metrics endpoint; see --metrics_port. */
export const DEFAULT_METRICS_PORT = 9464;
export const DEFAULT_SQLITE_PATH = './data/metadata.sqlite';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SOURCE_TYPES = ['default', 'config_file', 'mysql', 'postgresql'] as const;

const INT32_MAX = 2 ** 31 - 1;

export const FLAG_SPECS: Record<FlagName, FlagSpec> = {
  grpc_port: { kind: 'int', default: 8080, min: 1, max: 65535, arg: 'port', help: 'Port the gRPC server listens on (all interfaces).' },
  grpc_channel_arguments: {
    kind: 'string',
    default: '',
    arg: 'k=v,...',
    help:
      'Extra gRPC server channel arguments, comma-separated key=value; integer values are passed as numbers. ' +
      'Overrides our defaults grpc.max_receive_message_length=grpc.max_send_message_length=104857600 (100 MiB) ' +
      'and grpc.max_metadata_size=16384.',
  },
  metadata_source_config_type: {
    kind: 'string',
    default: 'default',
    choices: SOURCE_TYPES,
    arg: 'type',
    help:
      'Where the database settings come from: config_file (only --metadata_store_server_config_file), mysql (only ' +
      'the --mysql_config_* flags), postgresql (only the --postgres_config_* flags), or default: the config file if ' +
      'given, else MySQL if --mysql_config_{host,database,port} (or _socket) are given, else SQLite at --sqlite_path.',
  },
  metadata_store_server_config_file: {
    kind: 'string',
    default: '',
    arg: 'path',
    help:
      'A text-format ml_metadata.MetadataStoreServerConfig (connection_config, migration_options, ssl_config). ' +
      'Its migration_options replace --enable_database_upgrade/--downgrade_db_schema_version; ssl_config enables TLS.',
  },
  metadata_store_connection_retries: {
    kind: 'int',
    default: 5,
    min: 0,
    max: INT32_MAX,
    arg: 'n',
    help: 'How many times start-up retries opening the database while it answers ABORTED (e.g. a concurrent schema init).',
  },
  enable_database_upgrade: { kind: 'bool', default: false, help: 'Upgrade an older MLMD schema to the current version at start-up.' },
  downgrade_db_schema_version: {
    kind: 'int',
    default: -1,
    min: -1,
    max: Number.MAX_SAFE_INTEGER,
    arg: 'version',
    help: 'Downgrade the database to this MLMD schema version, then exit (-1 = off; the database layer decides which versions it supports). Cannot be combined with --enable_database_upgrade.',
  },
  mysql_config_host: { kind: 'string', default: '', arg: 'host', help: 'MySQL host; needs --mysql_config_database and --mysql_config_port.' },
  mysql_config_port: { kind: 'int', default: 0, min: 0, max: 65535, arg: 'port', help: 'MySQL port (> 0 when --mysql_config_host is given).' },
  mysql_config_database: { kind: 'string', default: '', arg: 'name', help: 'MySQL database; created unless it exists.' },
  mysql_config_user: { kind: 'string', default: '', arg: 'user', help: 'MySQL user.' },
  mysql_config_password: {
    kind: 'string',
    default: '',
    env: 'MLMD_MYSQL_PASSWORD',
    arg: 'password',
    help: 'MySQL password; prefer the MLMD_MYSQL_PASSWORD environment variable (used when this flag is empty).',
  },
  mysql_config_socket: {
    kind: 'string',
    default: '',
    arg: 'path',
    help: 'MySQL Unix socket, instead of --mysql_config_host/--mysql_config_port (not an upstream flag).',
  },
  postgres_config_host: { kind: 'string', default: '', arg: 'host', help: 'PostgreSQL host name (exactly one of host / hostaddr).' },
  postgres_config_hostaddr: { kind: 'string', default: '', arg: 'ip', help: 'PostgreSQL host IP address.' },
  postgres_config_port: { kind: 'string', default: '', arg: 'port', help: 'PostgreSQL port (required with --metadata_source_config_type=postgresql).' },
  postgres_config_user: { kind: 'string', default: '', arg: 'user', help: 'PostgreSQL user (required).' },
  postgres_config_password: {
    kind: 'string',
    default: '',
    env: 'MLMD_POSTGRES_PASSWORD',
    arg: 'password',
    help: 'PostgreSQL password; prefer the MLMD_POSTGRES_PASSWORD environment variable (used when this flag is empty).',
  },
  postgres_config_passfile: { kind: 'string', default: '', arg: 'path', help: 'PostgreSQL password file.' },
  postgres_config_dbname: { kind: 'string', default: '', arg: 'name', help: 'PostgreSQL database (required); created unless it exists.' },
  postgres_config_skip_db_creation: { kind: 'bool', default: false, help: 'Do not create the PostgreSQL database; it must exist.' },
  postgres_config_sslmode: { kind: 'string', default: '', arg: 'mode', help: 'libpq sslmode (disable, require, verify-ca, verify-full, ...).' },
  postgres_config_sslcert: { kind: 'string', default: '', arg: 'path', help: 'Client certificate file for PostgreSQL TLS.' },
  postgres_config_sslkey: { kind: 'string', default: '', arg: 'path', help: 'Client key file for PostgreSQL TLS.' },
  postgres_config_sslpassword: {
    kind: 'string',
    default: '',
    env: 'MLMD_POSTGRES_SSLPASSWORD',
    arg: 'password',
    help: 'Password of --postgres_config_sslkey; or the MLMD_POSTGRES_SSLPASSWORD environment variable.',
  },
  postgres_config_sslrootcert: { kind: 'string', default: '', arg: 'path', help: 'CA certificate file for PostgreSQL TLS.' },
  sqlite_path: {
    kind: 'string',
    default: DEFAULT_SQLITE_PATH,
    arg: 'path',
    help:
      'SQLite database file used when no other database is configured (where upstream would use a throw-away ' +
      'in-memory database); its directory is created on first run.',
  },
  metrics_port: {
    kind: 'int',
    default: DEFAULT_METRICS_PORT,
    min: 0,
    max: 65535,
    arg: 'port',
    help: 'Port of the Prometheus endpoint GET /metrics (9464, the usual Prometheus-exporter port; 9090 is taken by KFP\'s envoy); 0 = off.',
  },
  grpc_web_port: {
    kind: 'int',
    default: 0,
    min: 0,
    max: 65535,
    arg: 'port',
    help:
      'Port serving gRPC-web (application/grpc-web[-text][+proto], as browsers and Kubeflow\'s UI call it) and JSON ' +
      '(POST /<package>.<Service>/<Method> with application/json) over HTTP/1.1 and HTTP/2 cleartext, for every RPC ' +
      'of the gRPC port; Kubeflow expects 9090 (metadata-envoy-service). 0 = off.',
  },
  grpc_web_cors_allowed_origins: {
    kind: 'string',
    default: '',
    arg: 'origins',
    help:
      'Comma-separated origins (https://ui.example.com) whose pages may call the --grpc_web_port cross-origin, or * for ' +
      'any (what Kubeflow\'s Envoy allowed). Empty: same-origin pages and non-browser clients only.',
  },
  log_level: { kind: 'string', default: 'info', choices: LOG_LEVELS, arg: 'level', help: 'Log level of the JSON log on stdout.' },
  db_pool_size: { kind: 'int', default: 10, min: 1, max: 1000, arg: 'n', help: 'Maximum database connections per process (a SQLite file: up to 4 worker threads; in-memory SQLite: one).' },
  shutdown_grace_seconds: {
    kind: 'number',
    default: 10,
    min: 0,
    max: 3600,
    arg: 'seconds',
    help: 'On SIGTERM/SIGINT, how long in-flight calls may take to finish before they are cancelled.',
  },
  slow_rpc_ms: { kind: 'int', default: 1000, min: 0, max: INT32_MAX, arg: 'ms', help: 'RPCs at least this slow are logged as warnings.' },
  db_connect_timeout_seconds: {
    kind: 'number',
    default: 5,
    min: 0.1,
    max: 3600,
    arg: 'seconds',
    help: 'How long opening one MySQL/PostgreSQL connection (TCP, TLS, login) may take before it counts as unreachable.',
  },
  db_statement_timeout_seconds: {
    kind: 'number',
    default: 20,
    min: 0,
    max: 86400,
    arg: 'seconds',
    help:
      'Time limit of one SQL statement while serving (PostgreSQL statement_timeout, MariaDB max_statement_time, ' +
      'MySQL/TiDB max_execution_time, SQLite busy_timeout); the call fails DEADLINE_EXCEEDED. A statement with no ' +
      'answer at all 2 s later has its connection cut and the call fails UNAVAILABLE. 0 = no limit. Schema set-up ' +
      'and upgrades at start-up have no limit.',
  },
  db_startup_timeout_seconds: {
    kind: 'number',
    default: 300,
    min: 0,
    max: 86400,
    arg: 'seconds',
    help:
      'At start-up, how long to keep retrying (with back-off, logging each attempt) a database that cannot be ' +
      'reached, while gRPC health reports NOT_SERVING; then exit with the last error. 0 = try once.',
  },
  workers: {
    kind: 'int',
    default: 0,
    min: 0,
    max: 1024,
    arg: 'n',
    help:
      'Server processes sharing the gRPC port (one metrics endpoint for all); 0 = one per CPU this process may use, ' +
      '1 = a single process. An in-memory SQLite database always uses one.',
  },
  retention_config_file: {
    kind: 'string',
    default: '',
    arg: 'path',
    help:
      'A text-format mlmd_ts.retention.v1.RetentionPolicy (proto/mlmd_ts/retention/v1/retention_policy.proto): purge ' +
      'rules the server applies every interval, one replica at a time (not an upstream flag; see README "Retention").',
  },
  tenancy: {
    kind: 'string',
    default: 'off',
    choices: ['off', 'audit', 'enforce'],
    arg: 'mode',
    help:
      'Namespace isolation for multi-user Kubeflow: off (today\'s behaviour), audit (decide and report would-be denials, serve ' +
      'everything) or enforce (filter reads, refuse writes). See README "Tenancy".',
  },
  tenancy_config_file: {
    kind: 'string',
    default: '',
    arg: 'path',
    help:
      'YAML or JSON with the identity sources, system principals, namespace authorization, unowned visibility and ' +
      'anonymous policy used by --tenancy=audit|enforce (see README "Tenancy").',
  },
};

/**
 * glog's standard flags, which upstream's binary accepts. We log through pino instead, so
 * they are accepted and ignored (with a warning) rather than rejected.
 */
const IGNORED_GLOG_FLAGS = new Set(['logtostderr', 'alsologtostderr', 'stderrthreshold', 'minloglevel', 'v', 'vmodule', 'log_dir', 'colorlogtostderr']);

export type FlagsResult = { kind: 'help'; text: string } | { kind: 'flags'; flags: Flags; warnings: string[] };

function parseIntFlag(name: string, spec: FlagSpec) {
  return (value: string): number => {
    if (!/^[-+]?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer`);
    return checkRange(name, spec, Number(value));
  };
}

function parseNumberFlag(name: string, spec: FlagSpec) {
  return (value: string): number => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number`);
    return checkRange(name, spec, n);
  };
}

function checkRange(_name: string, spec: FlagSpec, n: number): number {
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new InvalidArgumentError(`expected a value from ${spec.min} to ${spec.max}`);
  }
  return n;
}

/** gflags spellings of booleans. */
function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', 't', 'yes', 'y', '1'].includes(v)) return true;
  if (['false', 'f', 'no', 'n', '0'].includes(v)) return false;
  throw new InvalidArgumentError('expected true or false');
}

function buildCommand(): Command {
  const command = new Command('mlmd-server')
    .description(
      'ML Metadata gRPC server (ml_metadata.MetadataStoreService), a drop-in for upstream metadata_store_server.\n' +
        'Flags use gflags syntax: --flag=value, --flag value, -flag=value; booleans as --flag, --flag=false or --noflag.\n' +
        'Environment: MLMD_MYSQL_PASSWORD, MLMD_POSTGRES_PASSWORD, MLMD_POSTGRES_SSLPASSWORD supply passwords not given as flags.',
    )
    .helpOption('-h, --help', 'Show this help and exit.')
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const [name, spec] of Object.entries(FLAG_SPECS) as [FlagName, FlagSpec][]) {
    const def = spec.default;
    if (spec.kind === 'bool') {
      command.addOption(new Option(`--${name} [bool]`, spec.help).argParser(parseBool).default(def));
      continue;
    }
    const option = new Option(`--${name} <${spec.arg ?? 'value'}>`, spec.help).default(def);
    if (spec.env) option.env(spec.env);
    if (spec.choices) option.choices(spec.choices);
    else if (spec.kind === 'int') option.argParser(parseIntFlag(name, spec));
    else if (spec.kind === 'number') option.argParser(parseNumberFlag(name, spec));
    command.addOption(option);
  }
  return command;
}

const BOOL_FLAGS = new Set((Object.keys(FLAG_SPECS) as FlagName[]).filter((n) => FLAG_SPECS[n].kind === 'bool'));

/**
 * Rewrites gflags-only spellings into what commander understands: `-flag...` becomes
 * `--flag...`, `--noflag` becomes `--flag=false`, and glog's own flags are dropped.
 */
function normalizeArgv(argv: readonly string[], warnings: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (/^-[A-Za-z_][A-Za-z0-9_]+(=|$)/.test(arg)) arg = `-${arg}`;
    const m = /^--([A-Za-z0-9_]+)(=(.*))?$/s.exec(arg);
    if (m) {
      const [, name, hasValue] = m;
      if (IGNORED_GLOG_FLAGS.has(name)) {
        warnings.push(`--${name} (a glog flag) is ignored; use --log_level`);
        // glog flags other than the booleans take a value; skip a separate one.
        if (!hasValue && name !== 'logtostderr' && name !== 'alsologtostderr' && name !== 'colorlogtostderr') i++;
        continue;
      }
      if (!hasValue && name.startsWith('no') && BOOL_FLAGS.has(name.slice(2) as FlagName)) {
        out.push(`--${name.slice(2)}=false`);
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}

/**
 * Parses the command line (without node and script). Throws ConfigError with one line for
 * anything wrong; returns the help text when --help was asked for.
 */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FlagsResult {
  const warnings: string[] = [];
  const command = buildCommand();
  let help = '';
  command.configureOutput({ writeOut: (s) => (help += s), writeErr: () => {}, outputError: () => {} });
  // commander reads Option.env from process.env; hand it the caller's environment.
  const savedEnv = process.env;
  if (env !== process.env) process.env = env;
  try {
    command.parse(normalizeArgv(argv, warnings), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return { kind: 'help', text: help };
      throw new ConfigError(`${e.message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ')} (see --help)`);
    }
    throw e;
  } finally {
    process.env = savedEnv;
  }
  return { kind: 'flags', flags: command.opts<Flags>(), warnings };
}
