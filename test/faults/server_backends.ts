import { describeEachBackend, type TestBackend } from '../support/backends';

/**
 * describeEachBackend for the network databases only: these suites cut connections, kill
 * servers or hang sockets, which an in-process SQLite file does not have.
 */
export function describeServerBackends(title: string, body: (backend: TestBackend) => void): void {
  describeEachBackend(title, body, ['mariadb', 'postgres']);
}
