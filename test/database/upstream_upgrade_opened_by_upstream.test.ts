import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openDatabase, type DatabaseConfig } from '../../src/database';
import { countIndexEntries } from '../../src/database/schema/introspection';
import { describeEachBackend } from '../support/backends';
import { createUpstreamLayout } from './fixtures/upstream_layout';
import { MLMD_MIGRATIONS } from '../../migrations';

const PYTHON = path.resolve(__dirname, '../../.venv/bin/python');
const havePython = fs.existsSync(PYTHON);

/** Upstream's own totals (storage notes §1.3) for the hand-built layouts, MySQL only. */
const MYSQL_INDEX_ENTRIES: Record<number, number> = { 7: 45, 8: 74, 9: 82, 10: 82 };
/** idx_attribution_artifact_id and idx_association_execution_id (docs/deviations.md). */
const OUR_EXTRA_INDEX_ENTRIES = 2;

/**
 * Upstream's C++ library (in-process, from the installed ml-metadata wheel) on the database:
 * reads the seeded artifact, writes one with a non-ASCII uri and reads it back. Prints JSON.
 */
function upstreamOpens(config: DatabaseConfig): { schemaOk: boolean; uris: string[]; types: string[] } {
  const connection =
    config.kind === 'sqlite'
      ? { sqlite: { filename_uri: config.filename } }
      : config.kind === 'mysql'
        ? { mysql: { host: config.host, port: config.port, user: config.user, password: config.password, database: config.database } }
        : undefined;
  const script = `
import json, sys
from google.protobuf import json_format
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
config = json_format.ParseDict(json.loads(sys.argv[1]), pb.ConnectionConfig())
store = metadata_store.MetadataStore(config)
type_id = store.put_artifact_type(pb.ArtifactType(name="Model"))
store.put_artifacts([pb.Artifact(type_id=type_id, uri="/written/by/upstream/é漢😀")])
print(json.dumps({"schemaOk": True, "uris": sorted(a.uri for a in store.get_artifacts()),
                  "types": sorted(t.name for t in store.get_artifact_types())}))
`;
  const result = spawnSync(PYTHON, ['-c', script, JSON.stringify(connection)], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`upstream's library failed on the upgraded database:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

describeEachBackend('an upstream database at an older schema version, upgraded, then opened by upstream', (backend) => {
  for (const version of [6, 7, 8, 9]) {
    it.skipIf(backend.dialect === 'postgres' || (!havePython && !process.env.CI))(
      `version ${version}: upgraded in place, data kept, upstream's library opens and writes it`,
      async () => {
        if (backend.dialect === 'postgres') return;
        const dialect = backend.dialect;
        const config = await backend.freshDatabaseConfig();
        const admin = backend.admin(config);
        await createUpstreamLayout(admin, dialect, version);
        if (dialect === 'mysql' && MYSQL_INDEX_ENTRIES[version]) {
          expect(await countIndexEntries(admin, dialect)).toBe(MYSQL_INDEX_ENTRIES[version]);
        }
        await admin('Type').insert({ id: 10, name: 'Model', type_kind: 1 });
        await admin('Artifact').insert({ id: 1, type_id: 10, uri: '/old/é漢😀', state: 2, name: 'm1' });
        await admin('ArtifactProperty').insert({ artifact_id: 1, name: 'note', is_custom_property: 1, string_value: 'ß' });

        const db = await openDatabase(config, { schema: { enableUpgrade: true, downgradeToVersion: -1 }, migrations: MLMD_MIGRATIONS });
        try {
          expect(db.schemaVersion).toBe(10);
          if (dialect === 'mysql') {
            expect(await countIndexEntries(db.knex, dialect)).toBe(MYSQL_INDEX_ENTRIES[10] + OUR_EXTRA_INDEX_ENTRIES);
          }
        } finally {
          await db.close();
        }
        expect(await admin('MLMDEnv').select('schema_version')).toEqual([{ schema_version: 10 }]);

        const seen = upstreamOpens(config);
        expect(seen.uris).toEqual(['/old/é漢😀', '/written/by/upstream/é漢😀']);
        expect(seen.types).toEqual(['Model']);
      },
    );
  }
});
