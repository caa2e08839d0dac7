import { describe, expect, it } from 'vitest';
import { ConfigError, parseServerConfigText } from '../../src/config';
import { loadMlmdProtoRoot } from '../../src/config/proto_files';
import { parseTextFormat } from '../../src/config/text_format';

const root = loadMlmdProtoRoot();
const parse = (text: string, type = 'ml_metadata.MetadataStoreServerConfig') => parseTextFormat(text, root.lookupType(type), 'cfg.pbtxt');
const errorOf = (text: string, type?: string) => {
  try {
    parse(text, type);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a parse error');
};

describe('protobuf text format', () => {
  it('reads nested messages with or without colon, {} and <>, comments and separators', () => {
    const text = `# the database
      connection_config: {
        mysql < host: "db" port: 3306, database: 'metadb'; user: "root" >  # trailing comment
      }
      migration_options { enable_upgrade_migration: true }`;
    expect(parse(text)).toEqual({
      connection_config: { mysql: { host: 'db', port: '3306', database: 'metadb', user: 'root' } },
      migration_options: { enable_upgrade_migration: true },
    });
  });

  it('decodes string escapes and concatenates adjacent literals', () => {
    const tree = parse(String.raw`ssl_config { server_key: "a\n" 'b\'' "\x41\101\u00e9\t\"q\\" }`);
    expect(tree).toEqual({ ssl_config: { server_key: 'a\nb\'AAé\t"q\\' } });
  });

  it('reads integers in decimal, hex, octal and negative; enums by name or number; bools', () => {
    expect(parse('downgrade_to_schema_version: -2', 'ml_metadata.MigrationOptions')).toEqual({ downgrade_to_schema_version: '-2' });
    expect(parse('connection_config { mysql { port: 0x0cea } }')).toEqual({ connection_config: { mysql: { port: '3306' } } });
    expect(parse('connection_config { mysql { port: 010 } }')).toEqual({ connection_config: { mysql: { port: '8' } } });
    expect(parse('filename_uri: "f" connection_mode: READONLY', 'ml_metadata.SqliteMetadataSourceConfig')).toEqual({
      filename_uri: 'f',
      connection_mode: 'READONLY',
    });
    expect(parse('connection_mode: 3', 'ml_metadata.SqliteMetadataSourceConfig')).toEqual({ connection_mode: 'READWRITE_OPENCREATE' });
    expect(parse('client_verify: t', 'ml_metadata.MetadataStoreServerConfig.SSLConfig')).toEqual({ client_verify: true });
    expect(parse('client_verify: False', 'ml_metadata.MetadataStoreServerConfig.SSLConfig')).toEqual({ client_verify: false });
  });

  it('collects repeated fields by repetition and by [list]', () => {
    const tree = parse('artifacts { uri: "a" } artifacts: [{ uri: "b" }, < uri: "c" >] artifacts: []', 'ml_metadata.LineageGraph');
    expect(tree).toEqual({ artifacts: [{ uri: 'a' }, { uri: 'b' }, { uri: 'c' }] });
    expect(errorOf('uri: ["a"]', 'ml_metadata.Artifact')).toMatch(/field "uri" is not repeated/);
  });

  it('reads doubles including inf and nan', () => {
    expect(parse('double_value: -1.5e3', 'ml_metadata.Value')).toEqual({ double_value: -1500 });
    expect(parse('double_value: -inf', 'ml_metadata.Value')).toEqual({ double_value: '-Infinity' });
  });

  it('names the line and the field in errors', () => {
    expect(errorOf('connection_config {\n  mysql {\n    hots: "x"\n  }\n}')).toBe('cfg.pbtxt:3: message MySQLDatabaseConfig has no field named "hots"');
    expect(errorOf('connection_config {\n mysql { port: "3306" } }')).toMatch(/^cfg.pbtxt:2: field "port" expects an integer/);
    expect(errorOf('connection_config { mysql { port: 99999999999999999999 } }')).toMatch(/out of range for field "port"/);
    expect(errorOf('ssl_config { client_verify: maybe }')).toMatch(/field "client_verify" expects true or false/);
    expect(errorOf('ssl_config { server_key "x" }')).toMatch(/expected ':' after field "server_key"/);
    expect(errorOf('connection_config { mysql {} sqlite {} }')).toMatch(/"mysql" and "sqlite" are both set.*oneof "config"/);
    expect(errorOf('ssl_config {}\nssl_config {}')).toMatch(/^cfg.pbtxt:2: non-repeated field "ssl_config" is specified more than once/);
    expect(errorOf('ssl_config { server_key: "abc }')).toMatch(/unterminated string/);
    expect(errorOf('connection_config { mysql { host: "h" }')).toMatch(/missing '}' to close ConnectionConfig/);
    expect(errorOf('connection_mode: FAST', 'ml_metadata.SqliteMetadataSourceConfig')).toMatch(/'FAST' is not a value of enum ConnectionMode/);
  });

  it('turns a server config into the ts-proto message, or a ConfigError', () => {
    const config = parseServerConfigText(
      'connection_config { postgresql { host: "pg" port: "5432" dbname: "m" ssloption { sslmode: "require" } } }\n' +
        'migration_options { downgrade_to_schema_version: 7 }',
      'x',
    );
    expect(config.connectionConfig?.postgresql).toMatchObject({ host: 'pg', port: '5432', dbname: 'm', ssloption: { sslmode: 'require' } });
    expect(config.migrationOptions?.downgradeToSchemaVersion).toBe(7n);
    expect(() => parseServerConfigText('bogus: 1', 'x')).toThrow(ConfigError);
  });
});
