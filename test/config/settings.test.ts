import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SQLITE_PATH, FLAG_SPECS, parseChannelArguments, parseFlags } from '../../src/config';
import { settingsFromFlags, type ServerSettings } from '../../src/config/server_settings';

const UPSTREAM_FLAGS = [
  'grpc_port', 'grpc_channel_arguments', 'metadata_source_config_type', 'metadata_store_server_config_file',
  'metadata_store_connection_retries', 'enable_database_upgrade', 'downgrade_db_schema_version',
  'mysql_config_host', 'mysql_config_port', 'mysql_config_database', 'mysql_config_user', 'mysql_config_password',
  'postgres_config_host', 'postgres_config_hostaddr', 'postgres_config_port', 'postgres_config_user',
  'postgres_config_password', 'postgres_config_passfile', 'postgres_config_dbname', 'postgres_config_skip_db_creation',
  'postgres_config_sslmode', 'postgres_config_sslcert', 'postgres_config_sslkey', 'postgres_config_sslpassword',
  'postgres_config_sslrootcert',
];

function flags(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = parseFlags(argv, env);
  if (r.kind !== 'flags') throw new Error('help');
  return r;
}
function settings(argv: string[], env: NodeJS.ProcessEnv = {}): ServerSettings {
  const r = flags(argv, env);
  return settingsFromFlags(r.flags, r.warnings, env);
}
function configError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    settings(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('command-line flags', () => {
  it('knows every upstream flag with upstream defaults', () => {
    for (const name of UPSTREAM_FLAGS) expect(FLAG_SPECS).toHaveProperty(name);
    const f = flags([]).flags;
    expect(f).toMatchObject({
      grpc_port: 8080,
      grpc_channel_arguments: '',
      metadata_source_config_type: 'default',
      metadata_store_connection_retries: 5,
      enable_database_upgrade: false,
      downgrade_db_schema_version: -1,
      mysql_config_port: 0,
      postgres_config_port: '',
      postgres_config_skip_db_creation: false,
      sqlite_path: DEFAULT_SQLITE_PATH,
    });
  });

  it('accepts gflags syntaxes', () => {
    const f = flags([
      '--grpc_port=9000', '--mysql_config_host', 'db', '-mysql_config_port=3306', '-mysql_config_database', 'm',
      '--enable_database_upgrade', '--postgres_config_skip_db_creation=true', '--logtostderr', '--v=1',
    ]);
    expect(f.flags).toMatchObject({ grpc_port: 9000, mysql_config_host: 'db', mysql_config_port: 3306, mysql_config_database: 'm' });
    expect(f.flags.enable_database_upgrade).toBe(true);
    expect(f.flags.postgres_config_skip_db_creation).toBe(true);
    expect(f.warnings).toHaveLength(2);
    expect(flags(['--enable_database_upgrade=false']).flags.enable_database_upgrade).toBe(false);
    expect(flags(['--noenable_database_upgrade']).flags.enable_database_upgrade).toBe(false);
  });

  it('rejects bad values, unknown flags and stray arguments with one line', () => {
    expect(configError(['--grpc_port=abc'])).toMatch(/--grpc_port.*'abc'.*integer/);
    expect(configError(['--grpc_port=0'])).toMatch(/--grpc_port.*'0'/);
    expect(configError(['--mysql_config_hots=x'])).toMatch(/unknown option '--mysql_config_hots=x'.*Did you mean --mysql_config_host/);
    expect(configError(['--metadata_source_config_type=oracle'])).toMatch(/choices are default, config_file, mysql, postgresql/);
    expect(configError(['--enable_database_upgrade=maybe'])).toMatch(/true or false/);
    expect(configError(['extra'])).toMatch(/too many arguments/);
  });

  it('--help documents every flag', () => {
    const r = parseFlags(['--help'], {});
    expect(r.kind).toBe('help');
    for (const name of Object.keys(FLAG_SPECS)) expect((r as { text: string }).text).toContain(`--${name}`);
  });
});

describe('choosing the database', () => {
  it('defaults to the SQLite file with the upgrade/downgrade flags applied', () => {
    const s = settings(['--sqlite_path=/tmp/x/m.db', '--enable_database_upgrade']);
    expect(s.database).toEqual({ kind: 'sqlite', filename: '/tmp/x/m.db', readonly: false });
    expect(s.schema).toEqual({ enableUpgrade: true, downgradeToVersion: -1 });
    expect(s.tls).toBeUndefined();
  });

  it('uses MySQL flags all-or-nothing (KFP deployment flags)', () => {
    const s = settings(
      ['--grpc_port=8080', '--mysql_config_database=mlmd', '--mysql_config_host=mysql', '--mysql_config_port=3306',
        '--mysql_config_user=root', '--enable_database_upgrade=true'],
      { MLMD_MYSQL_PASSWORD: 'from-env' },
    );
    expect(s.database).toEqual({
      kind: 'mysql', host: 'mysql', port: 3306, socket: undefined, database: 'mlmd', user: 'root', password: 'from-env',
      skipDbCreation: false, ssl: undefined,
    });
    expect(configError(['--mysql_config_host=h'])).toMatch(/missing --mysql_config_database, --mysql_config_port/);
    expect(configError(['--metadata_source_config_type=mysql'])).toMatch(/MySQL needs/);
    expect(configError(['--mysql_config_host=h', '--mysql_config_socket=/s', '--mysql_config_database=d'])).toMatch(/not both/);
    expect(settings(['--mysql_config_socket=/run/mysqld.sock', '--mysql_config_database=d']).database).toMatchObject({ socket: '/run/mysqld.sock' });
    // The flag wins over the environment.
    expect(settings(['--mysql_config_host=h', '--mysql_config_port=1', '--mysql_config_database=d', '--mysql_config_password=flag'], { MLMD_MYSQL_PASSWORD: 'env' }).database).toMatchObject({ password: 'flag' });
  });

  it('rejects upgrade and downgrade together', () => {
    expect(configError(['--enable_database_upgrade', '--downgrade_db_schema_version=3'])).toMatch(/cannot be used together/);
  });

  it('validates the PostgreSQL flags', () => {
    const base = ['--metadata_source_config_type=postgresql', '--postgres_config_port=5432', '--postgres_config_user=u', '--postgres_config_dbname=m'];
    expect(settings([...base, '--postgres_config_host=pg', '--postgres_config_sslmode=require'], { MLMD_POSTGRES_PASSWORD: 'pw' }).database).toMatchObject({
      kind: 'postgres', host: 'pg', port: 5432, user: 'u', dbname: 'm', password: 'pw', sslmode: 'require',
    });
    expect(configError(base)).toMatch(/exactly one of --postgres_config_host and --postgres_config_hostaddr/);
    expect(configError([...base.slice(0, 1), '--postgres_config_host=pg'])).toMatch(/needs --postgres_config_port/);
  });

  it('reads the config file, whose migration_options replace the flags', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-cfg-'));
    const file = path.join(dir, 'c.pbtxt');
    fs.writeFileSync(file, 'connection_config { mysql { host: "m" port: 3307 database: "d" ssl_options { ca: "/ca.pem" verify_server_cert: true } } }\nmigration_options { enable_upgrade_migration: true }');
    const s = settings([`--metadata_store_server_config_file=${file}`, '--downgrade_db_schema_version=2']);
    expect(s.database).toMatchObject({ kind: 'mysql', host: 'm', port: 3307, database: 'd', ssl: { ca: '/ca.pem', verifyServerCert: true } });
    expect(s.schema).toEqual({ enableUpgrade: true, downgradeToVersion: -1 });
    expect(s.warnings.join(' ')).toMatch(/ignored with a config file/);

    fs.writeFileSync(file, 'connection_config { mysql { host: "m" socket: "/s" database: "d" } }');
    expect(configError([`--metadata_store_server_config_file=${file}`])).toMatch(/exactly one of host and socket/);
    fs.writeFileSync(file, 'migration_options {}');
    expect(configError([`--metadata_store_server_config_file=${file}`])).toMatch(/connection_config is missing/);
    fs.writeFileSync(file, 'connection_config { sqlite { filename_uri: "file:/tmp/a.db?mode=rwc" } }\nssl_config { server_key: "/etc/key.pem" server_cert: "x" }');
    expect(configError([`--metadata_store_server_config_file=${file}`])).toMatch(/ssl_config.server_key is not PEM text/);
    fs.writeFileSync(file, 'connection_config { sqlite { filename_uri: "file:/tmp/a.db?mode=rwc" } }');
    expect(settings([`--metadata_store_server_config_file=${file}`]).database).toEqual({ kind: 'sqlite', filename: '/tmp/a.db', readonly: false });
    fs.writeFileSync(file, 'connection_config { fake_database {} }');
    expect(settings([`--metadata_store_server_config_file=${file}`]).database).toEqual({ kind: 'sqlite', filename: ':memory:' });
    expect(configError(['--metadata_store_server_config_file=/nonexistent/c.pbtxt'])).toMatch(/cannot read .*no such file/);
    expect(configError(['--metadata_source_config_type=config_file'])).toMatch(/needs --metadata_store_server_config_file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses --grpc_channel_arguments like upstream', () => {
    expect(parseChannelArguments('grpc.max_receive_message_length=67108864,grpc.primary_user_agent=mlmd,')).toEqual({
      'grpc.max_receive_message_length': 67108864,
      'grpc.primary_user_agent': 'mlmd',
    });
    expect(() => parseChannelArguments('novalue')).toThrow(/key=value/);
    expect(settings(['--grpc_channel_arguments=grpc.max_send_message_length=5']).channelArguments).toEqual({ 'grpc.max_send_message_length': 5 });
  });

  it('keeps the metrics port apart from the gRPC port', () => {
    expect(settings([]).metricsPort).toBe(9464);
    expect(configError(['--grpc_port=9464'])).toMatch(/--metrics_port and --grpc_port/);
    expect(settings(['--grpc_port=9464', '--metrics_port=0']).metricsPort).toBe(0);
  });
});
