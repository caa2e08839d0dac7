/**
 * Runs one command with throwaway MariaDB and PostgreSQL servers around it, outside vitest:
 *
 *   npx tsx test/support/with_db_servers.ts -- <command> [args...]
 *
 * The command sees MLMD_TEST_{MARIADB,POSTGRES}_{HOST,PORT,USER,PASSWORD} (or
 * MLMD_TEST_<BACKEND>_UNAVAILABLE with the reason), and this process exits with its status.
 */
import { spawn } from 'node:child_process';
import { serverEnvironment, startDbServers, wantedBackends, type ServerBackend } from './db_servers';

async function main(): Promise<number> {
  const dashes = process.argv.indexOf('--');
  const command = dashes >= 0 ? process.argv.slice(dashes + 1) : process.argv.slice(2);
  if (command.length === 0) {
    console.error('usage: tsx test/support/with_db_servers.ts -- <command> [args...]');
    return 2;
  }
  const servers = await startDbServers({
    wanted: wantedBackends().filter((b): b is ServerBackend => b !== 'sqlite'),
    requireBinaries: !!process.env.CI,
  });
  try {
    const child = spawn(command[0], command.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, ...serverEnvironment(servers.servers) },
    });
    return await new Promise<number>((resolve) => {
      child.once('error', (e) => {
        console.error(`cannot run ${command[0]}: ${e.message}`);
        resolve(127);
      });
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? 15 : 1)));
    });
  } finally {
    await servers.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
