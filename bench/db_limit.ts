/**
 * The database's own limit: each workload's rows written or read with plain SQL (multi-row
 * INSERTs, IN-list SELECTs) through the bare driver, with no MLMD logic at all: no validation,
 * no type checks, no existence checks, no protobuf, no gRPC. It runs on a database populated
 * by upstream's library (bench/mlmd_compare.py prepare), so it reads the same rows the other
 * subjects read and writes into the same schema and indexes.
 *
 * Writes run in one transaction per operation (as every MLMD write RPC does); reads run
 * without one. SQLite gets the settings our server uses (WAL, busy_timeout) and one client
 * only: better-sqlite3 is synchronous, so "N clients" in one process would just take turns.
 */
import Sqlite from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { summarize, type CellParts, type ResultRow } from './stats';

interface Population {
  artifact_type: number;
  execution_type: number;
  pipeline_type: number;
  run_type: number;
  artifacts: number[];
  executions: number[];
  fanout_context: number;
  chain_artifacts: number[];
  chain_executions: number[];
  kfp_input_ids: number[];
}

export interface Fixture {
  backend: 'sqlite' | 'mariadb';
  location: { path?: string; host?: string; port?: string; user?: string; password?: string; database?: string };
  population: Population;
  workloads: Record<string, number>;
  constants: { batch_ids: number; events_per_put: number; chain_hops: number; string_value: string; warmup_ops: number };
}

type Row = Record<string, unknown>;

/** The few driver operations the workloads need, the same on both databases. */
interface Sql {
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs an INSERT of `rows` rows; returns the first new auto-increment id. */
  insert(sql: string, params: unknown[], rows: number): Promise<number>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  insertIgnore: string;
}

function sqliteSql(db: Sqlite.Database): Sql {
  return {
    query: async (sql, params = []) => {
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...params) as Row[];
      statement.run(...params);
      return [];
    },
    insert: async (sql, params, rows) => Number(db.prepare(sql).run(...params).lastInsertRowid) - rows + 1,
    transaction: async (fn) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn();
        db.exec('COMMIT');
        return r;
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      }
    },
    insertIgnore: 'INSERT OR IGNORE',
  };
}

function mysqlSql(conn: mysql.Connection): Sql {
  return {
    query: async (sql, params = []) => (await conn.query(sql, params))[0] as Row[],
    // InnoDB gives a multi-row "simple insert" consecutive ids; insertId is the first.
    insert: async (sql, params) => ((await conn.query(sql, params))[0] as mysql.ResultSetHeader).insertId,
    transaction: async (fn) => {
      await conn.query('BEGIN');
      try {
        const r = await fn();
        await conn.query('COMMIT');
        return r;
      } catch (e) {
        await conn.query('ROLLBACK');
        throw e;
      }
    },
    insertIgnore: 'INSERT IGNORE',
  };
}

const tuples = (count: number, width: number) =>
  Array.from({ length: count }, () => `(${Array(width).fill('?').join(',')})`).join(',');
const inList = (ids: readonly unknown[]) => `(${ids.map(() => '?').join(',')})`;

/** Seeded choice of `n` distinct ids, so every run reads the same batches. */
function sample(ids: readonly number[], n: number, seed: number): number[] {
  const copy = [...ids];
  let s = seed >>> 0 || 1;
  for (let i = copy.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/** Rows of ArtifactProperty for artifact `id`, as the other subjects store them. */
function artifactPropertyRows(id: number, i: number, text: string): unknown[][] {
  return [
    [id, 'p0', 0, null, null, text],
    [id, 'p1', 0, null, null, text],
    [id, 'p2', 0, null, null, text],
    [id, 'n', 0, i, null, null],
    [id, 'x', 0, null, i / 7, null],
    [id, 'note', 1, null, null, text],
  ];
}

async function insertArtifacts(sql: Sql, f: Fixture, uris: string[]): Promise<number[]> {
  const now = Date.now();
  const first = await sql.insert(
    `INSERT INTO Artifact (type_id, uri, state, create_time_since_epoch, last_update_time_since_epoch) VALUES ${tuples(uris.length, 5)}`,
    uris.flatMap((uri) => [f.population.artifact_type, uri, 2, now, now]),
    uris.length,
  );
  const ids = uris.map((_, j) => first + j);
  const props = ids.flatMap((id, j) => artifactPropertyRows(id, uris[j].length, f.constants.string_value));
  await sql.query(
    `INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, int_value, double_value, string_value) VALUES ${tuples(props.length, 6)}`,
    props.flat(),
  );
  return ids;
}

async function readArtifacts(sql: Sql, where: string, params: unknown[]): Promise<number> {
  const rows = await sql.query(
    `SELECT A.id, A.type_id, A.uri, A.state, A.name, A.external_id, A.create_time_since_epoch, A.last_update_time_since_epoch FROM Artifact A ${where}`,
    params,
  );
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return 0;
  await sql.query(`SELECT * FROM ArtifactProperty WHERE artifact_id IN ${inList(ids)}`, ids);
  const typeIds = [...new Set(rows.map((r) => r.type_id))];
  await sql.query(`SELECT id, name, version FROM Type WHERE id IN ${inList(typeIds)}`, typeIds);
  return rows.length;
}

type Op = () => Promise<unknown>;
type Maker = (sql: Sql, f: Fixture, cell: number, w: number, k: number) => Op;

const MAKERS: Record<string, Maker> = {
  FillTypes: (sql, f, cell, w, k) => async () =>
    sql.transaction(async () => {
      const id = await sql.insert('INSERT INTO Type (name, type_kind) VALUES (?, 1)', [`ft.${cell}.${w}.${k}`], 1);
      const rows = [0, 1, 2, 3, 4].flatMap((i) => [id, `q${i}`, i % 2 ? 3 : 1]);
      await sql.query(`INSERT INTO TypeProperty (type_id, name, data_type) VALUES ${tuples(5, 3)}`, rows);
    }),
  'FillNodes(batch=1)': (sql, f, cell, w, k) => () =>
    sql.transaction(() => insertArtifacts(sql, f, [`/bench/fn/${cell}/${w}/${k}/0`])),
  'FillNodes(batch=100)': (sql, f, cell, w, k) => () =>
    sql.transaction(() =>
      insertArtifacts(
        sql,
        f,
        Array.from({ length: 100 }, (_, j) => `/bench/fn/${cell}/${w}/${k}/${j}`),
      ),
    ),
  'FillEvents(batch=10)': (sql, f, cell, w, k) => () =>
    sql.transaction(async () => {
      const p = f.population;
      const n = f.constants.events_per_put;
      const pairs = Array.from({ length: n }, (_, j) => {
        const idx = cell * 100_000 + w * 10_000 + k * n + j;
        return [p.artifacts[idx % p.artifacts.length], p.executions[Math.floor(idx / p.artifacts.length) % p.executions.length]];
      });
      const first = await sql.insert(
        `INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES ${tuples(n, 4)}`,
        pairs.flatMap(([a, e]) => [a, e, 1, Date.now()]),
        n,
      );
      await sql.query(
        `INSERT INTO EventPath (event_id, is_index_step, step_key) VALUES ${tuples(n, 3)}`,
        pairs.flatMap((_, j) => [first + j, 0, 'out']),
      );
    }),
  'ReadNodesByProperties(ids=100)': (sql, f, cell, w, k) => {
    const ids = sample(f.population.artifacts, f.constants.batch_ids, k * 31 + w + 1);
    return () => readArtifacts(sql, `WHERE A.id IN ${inList(ids)}`, ids);
  },
  'ReadNodesViaContextEdges(100)': (sql, f) => () =>
    readArtifacts(sql, 'JOIN Attribution T ON T.artifact_id = A.id WHERE T.context_id = ?', [f.population.fanout_context]),
  'ReadEvents(ids=100)': (sql, f, cell, w, k) => {
    const ids = sample(f.population.artifacts, f.constants.batch_ids, k * 17 + w + 1);
    return async () => {
      const events = await sql.query(`SELECT * FROM Event WHERE artifact_id IN ${inList(ids)}`, ids);
      const eventIds = events.map((e) => e.id);
      if (eventIds.length) await sql.query(`SELECT * FROM EventPath WHERE event_id IN ${inList(eventIds)}`, eventIds);
    };
  },
  /** Breadth-first over events, one IN-list query per hop, then the nodes and their types. */
  'GetLineageSubgraph(chain=21)': (sql, f) => async () => {
    const artifacts = new Set<unknown>([f.population.chain_artifacts[0]]);
    const executions = new Set<unknown>();
    let frontier: unknown[] = [...artifacts];
    for (let hop = 0; hop < 2 * f.constants.chain_hops && frontier.length; hop++) {
      const fromArtifacts = hop % 2 === 0;
      const events = await sql.query(
        `SELECT * FROM Event WHERE ${fromArtifacts ? 'artifact_id' : 'execution_id'} IN ${inList(frontier)}`,
        frontier,
      );
      const seen = fromArtifacts ? executions : artifacts;
      frontier = [...new Set(events.map((e) => (fromArtifacts ? e.execution_id : e.artifact_id)))].filter((id) => !seen.has(id));
      for (const id of frontier) seen.add(id);
    }
    const a = [...artifacts];
    const e = [...executions];
    await readArtifacts(sql, `WHERE A.id IN ${inList(a)}`, a);
    const rows = await sql.query(`SELECT * FROM Execution WHERE id IN ${inList(e)}`, e);
    await sql.query(`SELECT * FROM ExecutionProperty WHERE execution_id IN ${inList(e)}`, e);
    const typeIds = [...new Set(rows.map((r) => r.type_id))];
    await sql.query(`SELECT id, name, version FROM Type WHERE id IN ${inList(typeIds)}`, typeIds);
  },
  /** Kubeflow's task-finished write: contexts looked up (created once), then only inserts. */
  'PutExecution(kubeflow)': (sql, f, cell, w, k) => () =>
    sql.transaction(async () => {
      const p = f.population;
      const now = Date.now();
      const wanted = [
        [p.pipeline_type, 'kfp-pipeline'],
        [p.run_type, `kfp-run-${cell}`],
      ];
      const lookup = () =>
        sql.query('SELECT id FROM Context WHERE (type_id = ? AND name = ?) OR (type_id = ? AND name = ?)', wanted.flat());
      let contexts = await lookup();
      if (contexts.length < 2) {
        await sql.query(
          `${sql.insertIgnore} INTO Context (type_id, name, create_time_since_epoch, last_update_time_since_epoch) VALUES ${tuples(2, 4)}`,
          wanted.flatMap(([t, n]) => [t, n, now, now]),
        );
        contexts = await lookup();
      }
      const execution = await sql.insert(
        'INSERT INTO Execution (type_id, last_known_state, name, create_time_since_epoch, last_update_time_since_epoch) VALUES (?,?,?,?,?)',
        [p.execution_type, 3, `exec.${cell}.${w}.${k}`, now, now],
        1,
      );
      const props: unknown[][] = [
        [execution, 'p0', 0, null, f.constants.string_value],
        [execution, 'n', 0, k, null],
        ...['display_name', 'task_name', 'pod_name', 'image'].map((n) => [execution, n, 1, null, `${n}-${cell}-${w}-${k}`]),
      ];
      await sql.query(
        `INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, int_value, string_value) VALUES ${tuples(props.length, 5)}`,
        props.flat(),
      );
      const input = p.kfp_input_ids[(w * 37 + k) % p.kfp_input_ids.length];
      const [output] = await insertArtifacts(sql, f, [`/bench/kfp/${cell}/${w}/${k}`]);
      const firstEvent = await sql.insert(
        `INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES ${tuples(2, 4)}`,
        [input, execution, 3, now, output, execution, 4, now],
        2,
      );
      await sql.query(`INSERT INTO EventPath (event_id, is_index_step, step_key) VALUES ${tuples(2, 3)}`, [
        firstEvent, 0, 'examples', firstEvent + 1, 0, 'model',
      ]);
      const contextIds = contexts.map((c) => c.id);
      await sql.query(
        `${sql.insertIgnore} INTO Association (context_id, execution_id) VALUES ${tuples(contextIds.length, 2)}`,
        contextIds.flatMap((c) => [c, execution]),
      );
      const attributions = contextIds.flatMap((c) => [c, input, c, output]);
      await sql.query(
        `${sql.insertIgnore} INTO Attribution (context_id, artifact_id) VALUES ${tuples(attributions.length / 2, 2)}`,
        attributions,
      );
    }),
};

/** MySQL deadlock / lock wait timeout, SQLite busy: retried and counted, as for the others. */
function retryable(e: unknown): boolean {
  const err = e as { errno?: number; code?: string };
  return err.errno === 1213 || err.errno === 1205 || err.code === 'SQLITE_BUSY';
}

async function measureClient(
  sql: Sql,
  f: Fixture,
  workload: string,
  cell: number,
  w: number,
  ops: number,
  timeCapS: number,
  startAt: number,
): Promise<CellParts> {
  const make = MAKERS[workload];
  const warmup = f.constants.warmup_ops;
  const items = Array.from({ length: ops + warmup }, (_, k) => make(sql, f, cell, w, k));
  const part: CellParts = { lat: [], t0: 0, t1: 0, retries: 0, failures: 0, error: null };
  const runOp = async (op: Op): Promise<boolean> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await op();
        return true;
      } catch (e) {
        if (retryable(e) && attempt < 50) {
          part.retries++;
          continue;
        }
        part.error ??= String((e as Error).message).slice(0, 200);
        return false;
      }
    }
  };
  for (const op of items.slice(0, warmup)) await runOp(op);
  while (performance.now() < startAt) await new Promise((r) => setTimeout(r, 1));
  part.t0 = performance.now();
  const deadline = part.t0 + timeCapS * 1000;
  for (const op of items.slice(warmup)) {
    const s = performance.now();
    const ok = await runOp(op);
    const e = performance.now();
    if (ok) part.lat.push((e - s) * 1000);
    else part.failures++;
    if (e > deadline) break;
  }
  part.t1 = performance.now();
  return part;
}

/** Measures every workload at 1 and `clients` clients (SQLite: 1 only); returns result rows. */
export async function runDbLimit(
  f: Fixture,
  options: { clients: number; scale: number; timeCapS: number; only?: string[]; log?: (line: string) => void },
): Promise<ResultRow[]> {
  const counts = f.backend === 'sqlite' ? [1] : [...new Set([1, options.clients])].sort((a, b) => a - b);
  const results: ResultRow[] = [];
  let close: () => Promise<void>;
  let sqls: Sql[];
  if (f.backend === 'sqlite') {
    const db = new Sqlite(f.location.path!);
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    sqls = [sqliteSql(db)];
    close = async () => void db.close();
  } else {
    const l = f.location;
    const conns = await Promise.all(
      Array.from({ length: Math.max(...counts) }, () =>
        mysql.createConnection({ host: l.host, port: Number(l.port), user: l.user, password: l.password, database: l.database }),
      ),
    );
    sqls = conns.map(mysqlSql);
    close = async () => void (await Promise.all(conns.map((c) => c.end())));
  }
  try {
    const workloads = Object.keys(f.workloads).filter(
      (w) => !options.only?.length || options.only.some((s) => w.toLowerCase().includes(s.toLowerCase())),
    );
    for (const [index, workload] of workloads.entries()) {
      const total = Math.max(1, Math.floor(f.workloads[workload] * options.scale));
      for (const [ci, clients] of counts.entries()) {
        const startAt = performance.now() + 300;
        const perClient = Math.max(1, Math.floor(total / clients));
        const parts = await Promise.all(
          Array.from({ length: clients }, (_, w) =>
            measureClient(sqls[w], f, workload, index * 2 + ci, w, perClient, options.timeCapS, startAt),
          ),
        );
        const row: ResultRow = { backend: f.backend, workload, subject: 'db-limit', clients, ...summarize(parts) };
        results.push(row);
        options.log?.(
          `  ${f.backend.padEnd(8)} ${workload.padEnd(32)} db-limit  x${clients}: ${row.mean_us.toFixed(0).padStart(10)} us/op ` +
            `${row.ops_per_s.toFixed(1).padStart(8)} ops/s${row.failures ? `  [${row.failures} failed: ${row.error}]` : ''}`,
        );
      }
    }
  } finally {
    await close();
  }
  return results;
}
