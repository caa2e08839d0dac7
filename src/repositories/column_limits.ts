import type { Dialect } from '../database/config';

/**
 * The largest value each kind of MLMD column holds, per dialect, in bytes as the database
 * counts them (undefined: nothing a 100 MiB gRPC message can carry exceeds it). From upstream's
 * v10 DDL (v10_ddl.ts): on MySQL `string_value` is MEDIUMTEXT and `proto_value` MEDIUMBLOB
 * (16,777,215 bytes), `uri`, `description` and the event path's `step_key` are TEXT (65,535
 * bytes), names, versions and external ids VARCHAR(255). MySQL text arrives in a latin1
 * session (mysql_wire_text.ts), so every UTF-8 byte is one character there. PostgreSQL's
 * TEXT/BYTEA hold 1 GB and VARCHAR(255) 255 characters; SQLite enforces no declared length
 * (SQLITE_MAX_LENGTH is 1e9 bytes).
 */
export type ColumnKind = 'property_text' | 'property_blob' | 'text' | 'short_text';

export interface ColumnLimit {
  max: number;
  /** What `max` counts: UTF-8 bytes, or characters (code points). */
  unit: 'bytes' | 'characters';
  /** The column type, for messages. */
  column: string;
}

const MYSQL: Record<ColumnKind, ColumnLimit> = {
  property_text: { max: 16_777_215, unit: 'bytes', column: 'MEDIUMTEXT' },
  property_blob: { max: 16_777_215, unit: 'bytes', column: 'MEDIUMBLOB' },
  text: { max: 65_535, unit: 'bytes', column: 'TEXT' },
  short_text: { max: 255, unit: 'bytes', column: 'VARCHAR(255)' },
};

const POSTGRES: Partial<Record<ColumnKind, ColumnLimit>> = {
  short_text: { max: 255, unit: 'characters', column: 'VARCHAR(255)' },
};

export function columnLimit(dialect: Dialect, kind: ColumnKind): ColumnLimit | undefined {
  switch (dialect) {
    case 'mysql':
      return MYSQL[kind];
    case 'postgres':
      return POSTGRES[kind];
    case 'sqlite':
      return undefined;
  }
}

const DIALECT_NAME: Record<Dialect, string> = { mysql: 'MySQL', postgres: 'PostgreSQL', sqlite: 'SQLite' };

export function dialectName(dialect: Dialect): string {
  return DIALECT_NAME[dialect];
}
