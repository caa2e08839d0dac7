import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { listenMetricsServer, startMetricsServer } from '../../src/observability/metrics_server';
import { databaseTarget, logDatabaseTarget, logListening, logSchemaVersion } from '../../src/observability/startup_log';
import { LogCapture } from './log_capture';

const SECRET = 's3cr3t-Zebra-991';

describe('logger', () => {
  it('censors secrets by key at any of the usual depths', () => {
    const logs = new LogCapture();
    const logger = createLogger({ destination: logs });
    logger.info({ password: SECRET }, 'top');
    logger.info({ config: { password: SECRET, user: 'root' } }, 'nested');
    logger.info({ server: { mysql: { password: SECRET } } }, 'deeper');
    logger.info({ server: { postgres: { conn: { sslpassword: SECRET } } } }, 'deepest');
    logger.info({ metadata: { authorization: `Bearer ${SECRET}` } }, 'header');
    expect(logs.raw.join('')).not.toContain(SECRET);
    expect(logs.lines[1]).toMatchObject({ config: { password: '[REDACTED]', user: 'root' } });
  });

  it('censors secrets deeper down, in arrays, top-level child bindings and error properties, without touching the caller’s object', () => {
    const logs = new LogCapture();
    const logger = createLogger({ destination: logs });
    const config = { a: { b: { c: { d: { Password: SECRET, keep: 'visible' } } } } };
    logger.info({ config, list: [{ token: SECRET }] }, 'deep');
    logger.child({ password: SECRET }).info('child');
    const err = Object.assign(new Error('connect failed'), { config: { connection: { password: SECRET } } });
    logger.error({ err }, 'failed');
    expect(logs.raw.join('')).not.toContain(SECRET);
    expect(logs.raw.join('')).toContain('visible');
    expect(logs.lines[2]).toMatchObject({ err: { message: 'connect failed', config: { connection: { password: '[REDACTED]' } } } });
    expect(config.a.b.c.d.Password).toBe(SECRET);
    expect(err.config.connection.password).toBe(SECRET);
  });

  it('says which database, schema version and ports at start-up, without credentials', () => {
    const logs = new LogCapture();
    const logger = createLogger({ destination: logs });
    logDatabaseTarget(logger, {
      kind: 'mysql',
      host: 'db.internal',
      port: 3307,
      database: 'metadb',
      user: 'mlmd',
      password: SECRET,
    });
    logDatabaseTarget(logger, { kind: 'postgres', host: 'pg', dbname: 'mlmd', password: SECRET, sslpassword: SECRET });
    logDatabaseTarget(logger, { kind: 'sqlite', filename: '/data/mlmd.db' });
    logSchemaVersion(logger, 10);
    logListening(logger, { grpcPort: 8080, metricsPort: 9090 });
    expect(logs.raw.join('')).not.toContain(SECRET);
    const [mysql, pg, sqlite, schema, listening] = logs.lines;
    expect(mysql.database).toEqual({ kind: 'mysql', host: 'db.internal', port: 3307, database: 'metadb' });
    expect(pg.database).toEqual({ kind: 'postgres', host: 'pg', port: 5432, database: 'mlmd' });
    expect(sqlite.database).toEqual({ kind: 'sqlite', path: '/data/mlmd.db', readonly: false });
    expect(schema.schema_version).toBe(10);
    expect(listening).toMatchObject({ grpc_port: 8080, metrics_port: 9090 });
    expect(databaseTarget({ kind: 'mysql', socket: '/run/mysqld.sock', database: 'm', password: SECRET })).toEqual({
      kind: 'mysql',
      socket: '/run/mysqld.sock',
      database: 'm',
    });
  });
});

describe('metrics HTTP server', () => {
  it('is disabled by port 0', async () => {
    expect(await startMetricsServer(0, createMetrics({ processMetrics: false }).registry)).toBeNull();
  });

  it('serves /metrics only, and closes', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const handle = await listenMetricsServer(0, metrics.registry, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${handle.port}`;
      const ok = await fetch(`${base}/metrics`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE mlmd_rows_written_total counter');
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await handle.close();
    }
    await expect(fetch(`http://127.0.0.1:${handle.port}/metrics`)).rejects.toThrow();
  });

  it('keeps registries apart', async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.rowsWritten.rowsWritten('artifact', 7);
    expect(await b.registry.getSingleMetricAsString('mlmd_rows_written_total')).toContain('kind="artifact"} 0');
    expect(await a.registry.getSingleMetricAsString('mlmd_rows_written_total')).toContain('kind="artifact"} 7');
  });
});
