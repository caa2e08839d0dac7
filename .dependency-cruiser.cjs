/**
 * The README's layer table, checked (`npm run check:layers`, part of `npm test`).
 *
 *   entry point (src/main.ts, src/config/, src/cluster/, src/threads/: store threads on SQLite)
 *     -> transport (src/transport/)
 *       -> store (src/store/: MLMD semantics, lineage, one transaction per RPC)
 *         -> repositories (src/repositories/: every SQL statement), filter (src/filter/)
 *           -> database (src/database/ and the top-level migrations/)
 *   ground floor, importable from every layer: src/errors.ts, src/generated/
 *   beside the layers: src/observability/ (metrics and logs, wired in by the entry point)
 *   identity: src/tenancy/ (who is calling, which namespaces they may see), used by the entry
 *     point and the transport; it builds the store's TenancyScope and knows nothing else of the store
 *
 * Each rule forbids one kind of arrow; a file may import its own layer and the layers below.
 */
const LAYERS_ABOVE_DATABASE = '^src/(main\\.ts|config|threads|transport|store|repositories|filter|observability)(/|$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'ground-floor-imports-nothing',
      comment: 'src/errors.ts is the shared kernel: it may use generated code and nothing else of ours.',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^(src|migrations)/', pathNot: '^src/generated/' },
    },
    {
      name: 'database-looks-only-down',
      comment: 'The database layer (src/database/, migrations/) knows nothing above it.',
      severity: 'error',
      from: { path: '^(src/database|migrations)/' },
      to: { path: LAYERS_ABOVE_DATABASE },
    },
    {
      name: 'database-does-not-import-migrations',
      comment: 'Migrations use the database layer; openDatabase receives them from its caller (OpenOptions.migrations).',
      severity: 'error',
      from: { path: '^src/database/' },
      to: { path: '^migrations/' },
    },
    {
      name: 'repositories-look-only-down',
      comment: 'Repositories hold SQL over the database layer; they know no MLMD semantics, transport or metrics.',
      severity: 'error',
      from: { path: '^src/repositories/' },
      to: { path: '^src/(main\\.ts|config|transport|store|observability)(/|$)' },
    },
    {
      name: 'filter-is-a-module-of-its-own',
      comment: 'The filter language compiles to SQL over the database layer; it knows neither the store nor the repositories.',
      severity: 'error',
      from: { path: '^src/filter/' },
      to: { path: '^src/(main\\.ts|config|transport|store|repositories|observability)(/|$)' },
    },
    {
      name: 'store-looks-only-down',
      comment: 'The store implements MLMD semantics; it does not know the transport, the config or the metrics.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(main\\.ts|config|threads|transport|observability)(/|$)' },
    },
    {
      name: 'store-sees-only-the-transaction-type',
      comment: 'The store reaches the database through repositories; of src/database/ it may import only database.ts (Tx, Database).',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^(src/database|migrations)/', pathNot: '^src/database/database\\.ts$' },
    },
    {
      name: 'store-imports-the-transaction-as-a-type',
      comment: 'database.ts is imported by the store with `import type`: the store never calls the database layer itself.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/database/database\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-sql-above-repositories',
      comment: 'Knex is used by the repositories, the filter translation and the database layer only.',
      severity: 'error',
      from: { path: '^src/(store|threads|transport|config|observability|main\\.ts)' },
      to: { path: '^node_modules/knex/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'threads-run-the-store',
      comment:
        'src/threads/ serves the store from worker threads on a SQLite file: it opens databases, so it sits above the store with the entry point, and knows neither the transport, the config nor the metrics (it reports through DatabaseObserver).',
      severity: 'error',
      from: { path: '^src/threads/' },
      to: { path: '^src/(main\\.ts|config|cluster|transport|observability)(/|$)' },
    },
    {
      name: 'transport-skips-no-layer',
      comment: 'The transport talks to the store only.',
      severity: 'error',
      from: { path: '^src/transport/' },
      to: { path: '^(src/(repositories|filter|database|threads)|migrations)/' },
    },
    {
      name: 'observability-is-beside-the-layers',
      comment: 'Metrics and logs are fed through hooks (DatabaseObserver, interceptors); they import no layer above the database.',
      severity: 'error',
      from: { path: '^src/observability/' },
      to: { path: '^src/(store|repositories|filter|transport)/' },
    },
    {
      name: 'tenancy-knows-only-the-scope-contract',
      comment: 'src/tenancy/ decides identities and scopes: of our code it may import the scope contract (src/store/tenancy/tenancy_scope.ts) and src/errors.ts, nothing else.',
      severity: 'error',
      from: { path: '^src/tenancy/' },
      to: { path: '^(src|migrations)/', pathNot: ['^src/tenancy/', '^src/errors\\.ts$', '^src/store/tenancy/tenancy_scope\\.ts$'] },
    },
    {
      name: 'only-the-entry-point-and-transport-use-tenancy',
      comment: 'Identity is decided at the edge: the store obeys the scope it is handed and never resolves callers itself.',
      severity: 'error',
      from: { path: '^src/(store|repositories|filter|database|observability)/' },
      to: { path: '^src/tenancy/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make the layering meaningless.',
      severity: 'error',
      from: { path: '^(src|migrations)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
