import fs from 'node:fs';
import os from 'node:os';
import type { LevelWithSilent } from 'pino';
import type { DatabaseConfig, DatabaseTimeouts, SchemaOptions } from '../database/config';
import {
  type ConnectionConfig,
  type MetadataStoreServerConfig_SSLConfig,
  type MigrationOptions,
  type MySQLDatabaseConfig,
  type PostgreSQLDatabaseConfig,
  type SqliteMetadataSourceConfig,
  SqliteMetadataSourceConfig_ConnectionMode as SqliteMode,
} from '../generated/ml_metadata/proto/metadata_store';
import { parseChannelArguments, type ChannelArguments } from './channel_arguments';
import { ConfigError } from './config_error';
import { parseFlags, type Flags } from './flags';
import { readRetentionPolicyFile, type RetentionSettings } from './retention_policy_file';
import { readServerConfigFile } from './server_config_file';
import { tenancySettings } from './tenancy_config_file';
import type { TenancySettings } from '../tenancy';

/** gRPC TLS from the config file's ssl_config: PEM contents, not paths. */
export interface TlsSettings {
  serverKey: string;
  serverCert: string;
  /** Roots used to verify client certificates. */
  customCa?: string;
  /** Require and verify a client certificate. */
  clientVerify: boolean;
}

/** The gRPC-web/JSON port. */
export interface WebSettings {
  port: number;
  /** Origins allowed cross-origin ('*' = any); empty = same-origin only. */
  corsAllowedOrigins: string[];
}

/** Everything the process needs to start, validated. */
export interface ServerSettings {
  grpcPort: number;
  /** Only what --grpc_channel_arguments set; the server merges them over its defaults. */
  channelArguments: ChannelArguments;
  database: DatabaseConfig;
  schema: SchemaOptions;
  tls?: TlsSettings;
  /** Extra attempts at opening the database while it answers ABORTED. */
  connectionRetries: number;
  metricsPort: number;
  /** gRPC-web and JSON; undefined = off. */
  web?: WebSettings;
  logLevel: LevelWithSilent;
  dbPoolSize: number;
  shutdownGraceMs: number;
  slowRpcMs: number;
  /** --db_connect_timeout_seconds, --db_statement_timeout_seconds. */
  dbTimeouts: DatabaseTimeouts;
  /** How long start-up keeps retrying an unreachable database (--db_startup_timeout_seconds). */
  dbStartupTimeoutMs: number;
  /** Server processes serving the gRPC port (1 = this process alone); --workers with 0 resolved. */
  workers: number;
  /** The retention policy of --retention_config_file, if given. */
  retention?: RetentionSettings;
  /** --tenancy and --tenancy_config_file; undefined = off (no scope at all). */
  tenancy?: TenancySettings;
  /** Things worth telling the operator once a logger exists. */
  warnings: string[];
}

export type SettingsResult = { kind: 'help'; text: string } | { kind: 'settings'; settings: ServerSettings };

/** Parses and validates the command line (plus the config file it names, and the environment). */
export function loadServerSettings(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SettingsResult {
  const parsed = parseFlags(argv, env);
  if (parsed.kind === 'help') return parsed;
  return { kind: 'settings', settings: settingsFromFlags(parsed.flags, parsed.warnings, env) };
}

export function settingsFromFlags(flags: Flags, warnings: string[] = [], env: NodeJS.ProcessEnv = process.env): ServerSettings {
  if (flags.metrics_port !== 0 && flags.metrics_port === flags.grpc_port) {
    throw new ConfigError(`--metrics_port and --grpc_port are both ${flags.grpc_port}; use different ports (or --metrics_port=0)`);
  }
  const web = webSettings(flags);
  const source = selectConnection(flags, warnings);
  if (web && source.ssl) {
    throw new ConfigError(
      '--grpc_web_port serves cleartext HTTP only, but ssl_config enables TLS on the gRPC port; terminate TLS for the web port in front of it (ingress) or leave --grpc_web_port=0',
    );
  }
  const secrets = {
    mysqlPassword: env.MLMD_MYSQL_PASSWORD,
    postgresPassword: env.MLMD_POSTGRES_PASSWORD,
    postgresSslPassword: env.MLMD_POSTGRES_SSLPASSWORD,
  };
  const database = databaseConfigFromProto(source.connection, source.origin, warnings, secrets);
  const tls = source.ssl ? tlsSettings(source.ssl) : undefined;
  const tenancy = tenancySettings(
    flags.tenancy,
    flags.tenancy_config_file,
    { webPortOn: !!web, verifiesClientCertificates: !!tls?.customCa },
    warnings,
  );
  return {
    grpcPort: flags.grpc_port,
    channelArguments: parseChannelArguments(flags.grpc_channel_arguments),
    database,
    schema: schemaOptions(source.migration, source.origin),
    tls,
    connectionRetries: flags.metadata_store_connection_retries,
    metricsPort: flags.metrics_port,
    web,
    logLevel: flags.log_level as LevelWithSilent,
    dbPoolSize: flags.db_pool_size,
    shutdownGraceMs: Math.round(flags.shutdown_grace_seconds * 1000),
    slowRpcMs: flags.slow_rpc_ms,
    dbTimeouts: {
      connectMs: Math.round(flags.db_connect_timeout_seconds * 1000),
      statementMs: Math.round(flags.db_statement_timeout_seconds * 1000),
    },
    dbStartupTimeoutMs: Math.round(flags.db_startup_timeout_seconds * 1000),
    workers: workerCount(flags.workers, database, warnings),
    retention: flags.retention_config_file ? readRetentionPolicyFile(flags.retention_config_file) : undefined,
    tenancy,
    warnings,
  };
}

/**
 * --workers resolved: 0 is the CPUs this process may use (its affinity and cgroup quota, as
 * os.availableParallelism() reports them). A private in-memory SQLite database cannot be
 * shared between processes, so it is always served by one.
 */
function workerCount(requested: number, database: DatabaseConfig, warnings: string[]): number {
  const wanted = requested === 0 ? os.availableParallelism() : requested;
  if (wanted > 1 && database.kind === 'sqlite' && database.filename === ':memory:') {
    if (requested > 1) warnings.push(`--workers=${requested} ignored: an in-memory SQLite database is private to one process`);
    return 1;
  }
  return wanted;
}

function webSettings(flags: Flags): WebSettings | undefined {
  const origins = flags.grpc_web_cors_allowed_origins
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter((s) => s.length > 0);
  if (flags.grpc_web_port === 0) {
    if (origins.length > 0) throw new ConfigError('--grpc_web_cors_allowed_origins needs --grpc_web_port');
    return undefined;
  }
  for (const [other, port] of [['--grpc_port', flags.grpc_port], ['--metrics_port', flags.metrics_port]] as const) {
    if (port === flags.grpc_web_port) throw new ConfigError(`--grpc_web_port and ${other} are both ${port}; use different ports`);
  }
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/i.test(origin)) {
      throw new ConfigError(`--grpc_web_cors_allowed_origins: ${JSON.stringify(origin)} is not an origin (scheme://host[:port]) or *`);
    }
  }
  return { port: flags.grpc_web_port, corsAllowedOrigins: origins };
}

interface SelectedSource {
  connection: ConnectionConfig;
  migration: MigrationOptions;
  ssl?: MetadataStoreServerConfig_SSLConfig;
  /** Where the settings came from, for error messages. */
  origin: string;
}

/** Upstream's choice of ConnectionConfig by --metadata_source_config_type. */
function selectConnection(flags: Flags, warnings: string[]): SelectedSource {
  const type = flags.metadata_source_config_type;
  const configFile = flags.metadata_store_server_config_file;
  const mysqlGiven = !!(flags.mysql_config_host || flags.mysql_config_database || flags.mysql_config_port || flags.mysql_config_socket);
  switch (type) {
    case 'config_file':
      if (!configFile) {
        throw new ConfigError('--metadata_source_config_type=config_file needs --metadata_store_server_config_file');
      }
      return fromConfigFile(flags, warnings);
    case 'mysql':
      return fromFlags(flags, { mysql: mysqlFromFlags(flags) });
    case 'postgresql':
      return fromFlags(flags, { postgresql: postgresFromFlags(flags) });
    default:
      if (configFile) {
        if (mysqlGiven) warnings.push('--mysql_config_* flags are ignored because --metadata_store_server_config_file is given');
        return fromConfigFile(flags, warnings);
      }
      if (mysqlGiven) return fromFlags(flags, { mysql: mysqlFromFlags(flags) });
      if (Object.keys(flags).some((k) => k.startsWith('postgres_config_') && k !== 'postgres_config_skip_db_creation' && flags[k as keyof Flags])) {
        warnings.push('--postgres_config_* flags are only used with --metadata_source_config_type=postgresql; using SQLite');
      }
      // Upstream falls back to a throw-away in-memory database here; ours persists to a file.
      return fromFlags(flags, { sqlite: { filenameUri: flags.sqlite_path, connectionMode: SqliteMode.READWRITE_OPENCREATE } });
  }
}

function fromConfigFile(flags: Flags, warnings: string[]): SelectedSource {
  const path = flags.metadata_store_server_config_file;
  const file = readServerConfigFile(path);
  if (flags.enable_database_upgrade || flags.downgrade_db_schema_version >= 0) {
    warnings.push(
      '--enable_database_upgrade/--downgrade_db_schema_version are ignored with a config file; set migration_options in it',
    );
  }
  if (!file.connectionConfig) throw new ConfigError(`${path}: connection_config is missing`);
  return { connection: file.connectionConfig, migration: file.migrationOptions ?? {}, ssl: file.sslConfig, origin: path };
}

function fromFlags(flags: Flags, connection: ConnectionConfig): SelectedSource {
  if (flags.enable_database_upgrade && flags.downgrade_db_schema_version >= 0) {
    throw new ConfigError('--enable_database_upgrade and --downgrade_db_schema_version cannot be used together');
  }
  const migration: MigrationOptions = { enableUpgradeMigration: flags.enable_database_upgrade };
  if (flags.downgrade_db_schema_version >= 0) migration.downgradeToSchemaVersion = BigInt(flags.downgrade_db_schema_version);
  return { connection, migration, origin: 'flags' };
}

function mysqlFromFlags(flags: Flags): MySQLDatabaseConfig {
  const { mysql_config_host: host, mysql_config_database: database, mysql_config_port: port, mysql_config_socket: socket } = flags;
  if (socket) {
    if (host) throw new ConfigError('give either --mysql_config_host or --mysql_config_socket, not both');
    if (!database) throw new ConfigError('--mysql_config_socket needs --mysql_config_database');
  } else if (!host || !database || !(port > 0)) {
    const missing = [!host && '--mysql_config_host', !database && '--mysql_config_database', !(port > 0) && '--mysql_config_port (> 0)']
      .filter(Boolean)
      .join(', ');
    throw new ConfigError(`MySQL needs --mysql_config_host, --mysql_config_database and --mysql_config_port together; missing ${missing}`);
  }
  return {
    host: host || undefined,
    port: socket ? undefined : BigInt(port),
    socket: socket || undefined,
    database,
    user: flags.mysql_config_user,
    password: flags.mysql_config_password,
  };
}

function postgresFromFlags(flags: Flags): PostgreSQLDatabaseConfig {
  const f = flags;
  if (!!f.postgres_config_host === !!f.postgres_config_hostaddr) {
    throw new ConfigError('PostgreSQL needs exactly one of --postgres_config_host and --postgres_config_hostaddr');
  }
  for (const name of ['postgres_config_port', 'postgres_config_user', 'postgres_config_dbname'] as const) {
    if (!f[name]) throw new ConfigError(`PostgreSQL needs --${name}`);
  }
  const orUnset = (s: string) => s || undefined;
  const ssl = {
    sslmode: orUnset(f.postgres_config_sslmode),
    sslcert: orUnset(f.postgres_config_sslcert),
    sslkey: orUnset(f.postgres_config_sslkey),
    sslpassword: orUnset(f.postgres_config_sslpassword),
    sslrootcert: orUnset(f.postgres_config_sslrootcert),
  };
  return {
    host: orUnset(f.postgres_config_host),
    hostaddr: orUnset(f.postgres_config_hostaddr),
    port: f.postgres_config_port,
    user: f.postgres_config_user,
    password: orUnset(f.postgres_config_password),
    passfile: orUnset(f.postgres_config_passfile),
    dbname: f.postgres_config_dbname,
    skipDbCreation: f.postgres_config_skip_db_creation,
    ssloption: Object.values(ssl).some((v) => v !== undefined) ? ssl : undefined,
  };
}

interface EnvSecrets {
  mysqlPassword?: string;
  postgresPassword?: string;
  postgresSslPassword?: string;
}

/**
 * The ConnectionConfig proto (from the file or built from flags) as the database layer's
 * DatabaseConfig, checked the way upstream checks it. Passwords left empty are taken from
 * the environment.
 */
export function databaseConfigFromProto(
  connection: ConnectionConfig,
  origin: string,
  warnings: string[],
  secrets: EnvSecrets = {},
): DatabaseConfig {
  if (connection.mysql) return mysqlConfig(connection.mysql, origin, secrets);
  if (connection.postgresql) return postgresConfig(connection.postgresql, origin, secrets);
  if (connection.sqlite) return sqliteConfig(connection.sqlite, origin, warnings);
  if (connection.fakeDatabase) {
    warnings.push('connection_config uses fake_database: an in-memory SQLite database whose contents are lost at exit');
    return { kind: 'sqlite', filename: ':memory:' };
  }
  throw new ConfigError(`${origin}: connection_config sets none of mysql, postgresql, sqlite, fake_database`);
}

function mysqlConfig(m: MySQLDatabaseConfig, origin: string, secrets: EnvSecrets): DatabaseConfig {
  if (!!m.host === !!m.socket) throw new ConfigError(`${origin}: MySQL config needs exactly one of host and socket`);
  if (!m.database) throw new ConfigError(`${origin}: MySQL config needs database`);
  const port = m.port === undefined ? 0 : Number(m.port);
  if (port < 0 || port > 65535) throw new ConfigError(`${origin}: MySQL port ${m.port} is not a TCP port`);
  const ssl = m.sslOptions;
  return {
    kind: 'mysql',
    host: m.host || undefined,
    port: port || undefined,
    socket: m.socket || undefined,
    database: m.database,
    user: m.user || undefined,
    password: m.password || secrets.mysqlPassword || undefined,
    skipDbCreation: m.skipDbCreation ?? false,
    ssl: ssl
      ? {
          key: ssl.key || undefined,
          cert: ssl.cert || undefined,
          ca: ssl.ca || undefined,
          capath: ssl.capath || undefined,
          cipher: ssl.cipher || undefined,
          verifyServerCert: ssl.verifyServerCert ?? false,
        }
      : undefined,
  };
}

function postgresConfig(p: PostgreSQLDatabaseConfig, origin: string, secrets: EnvSecrets): DatabaseConfig {
  if (!p.dbname) throw new ConfigError(`${origin}: PostgreSQL config needs dbname`);
  let port: number | undefined;
  if (p.port) {
    if (!/^\d+$/.test(p.port) || Number(p.port) < 1 || Number(p.port) > 65535) {
      throw new ConfigError(`${origin}: PostgreSQL port '${p.port}' is not a TCP port`);
    }
    port = Number(p.port);
  }
  const ssl = p.ssloption ?? {};
  return {
    kind: 'postgres',
    host: p.host || undefined,
    hostaddr: p.hostaddr || undefined,
    port,
    user: p.user || undefined,
    password: p.password || secrets.postgresPassword || undefined,
    passfile: p.passfile || undefined,
    dbname: p.dbname,
    skipDbCreation: p.skipDbCreation ?? false,
    sslmode: ssl.sslmode || undefined,
    sslcert: ssl.sslcert || undefined,
    sslkey: ssl.sslkey || undefined,
    sslpassword: ssl.sslpassword || secrets.postgresSslPassword || undefined,
    sslrootcert: ssl.sslrootcert || undefined,
  };
}

/**
 * SQLite's filename_uri may be a plain path or a `file:` URI (query parameters are dropped;
 * connection_mode says how to open). An empty name means in-memory, as upstream.
 */
function sqliteConfig(s: SqliteMetadataSourceConfig, origin: string, warnings: string[]): DatabaseConfig {
  let filename = s.filenameUri ?? '';
  if (filename.startsWith('file:')) {
    filename = decodeURIComponent(filename.slice('file:'.length).replace(/^\/\/(localhost)?(?=\/)/, '').split('?')[0]);
  }
  if (filename === '' || filename === ':memory:') {
    warnings.push(`${origin}: SQLite without filename_uri is an in-memory database whose contents are lost at exit`);
    return { kind: 'sqlite', filename: ':memory:' };
  }
  const mode = s.connectionMode ?? SqliteMode.READWRITE_OPENCREATE;
  if ((mode === SqliteMode.READONLY || mode === SqliteMode.READWRITE) && !fs.existsSync(filename)) {
    throw new ConfigError(`${origin}: SQLite file ${filename} does not exist and connection_mode ${SqliteMode[mode]} does not create it`);
  }
  return { kind: 'sqlite', filename, readonly: mode === SqliteMode.READONLY };
}

function schemaOptions(m: MigrationOptions, origin: string): SchemaOptions {
  const enableUpgrade = m.enableUpgradeMigration ?? false;
  // proto2 default of downgrade_to_schema_version is -1 (ts-proto leaves it unset).
  const downgradeToVersion = m.downgradeToSchemaVersion === undefined ? -1 : Number(m.downgradeToSchemaVersion);
  if (enableUpgrade && downgradeToVersion >= 0) {
    throw new ConfigError(`${origin}: migration_options cannot enable upgrade and ask for a downgrade at the same time`);
  }
  return { enableUpgrade, downgradeToVersion };
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

function tlsSettings(ssl: MetadataStoreServerConfig_SSLConfig): TlsSettings {
  const pem = (field: 'server_key' | 'server_cert' | 'custom_ca', value: string | undefined, required: boolean) => {
    if (!value) {
      if (required) throw new ConfigError(`ssl_config.${field} is required when ssl_config is present`);
      return undefined;
    }
    if (!PEM.test(value)) {
      const looksLikePath = !value.includes('\n') && fs.existsSync(value);
      throw new ConfigError(
        looksLikePath
          ? `ssl_config.${field} must hold the PEM text itself, not a file path (${value})`
          : `ssl_config.${field} is not PEM text (no -----BEGIN ...----- line)`,
      );
    }
    return value;
  };
  return {
    serverKey: pem('server_key', ssl.serverKey, true)!,
    serverCert: pem('server_cert', ssl.serverCert, true)!,
    customCa: pem('custom_ca', ssl.customCa, false),
    clientVerify: ssl.clientVerify ?? false,
  };
}
