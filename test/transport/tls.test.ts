import { credentials, status as Status } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/database';
import { parseServerConfigText } from '../../src/config';
import { settingsFromFlags } from '../../src/config/server_settings';
import { parseFlags } from '../../src/config/flags';
import { MetadataStore } from '../../src/store/metadata_store';
import { startServer, type RunningServer } from '../../src/transport/server';
import { callRpc, mlmdClient } from './grpc_test_client';

let dir: string;
const pem = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  for (const [name, san] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['client', 'subjectAltName=DNS:client'],
  ]) {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${san}\n`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
}

/** The text-format config an operator would write, PEM contents inline. */
function configText(clientVerify: boolean): string {
  const q = (s: string) => JSON.stringify(s); // JSON string escapes are valid text-format escapes
  return `connection_config { sqlite { filename_uri: "" } }
ssl_config {
  server_key: ${q(pem('server.key'))}
  server_cert: ${q(pem('server.pem'))}
  custom_ca: ${q(pem('ca.pem'))}
  client_verify: ${clientVerify}
}`;
}

const servers: RunningServer[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-tls-'));
  makeCertificates();
});
afterAll(async () => {
  for (const s of servers) await s.shutdown(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serveWithConfig(clientVerify: boolean): Promise<RunningServer> {
  const file = path.join(dir, `config-${clientVerify}.pbtxt`);
  fs.writeFileSync(file, configText(clientVerify));
  const parsed = parseFlags([`--metadata_store_server_config_file=${file}`], {});
  if (parsed.kind !== 'flags') throw new Error('unexpected help');
  const settings = settingsFromFlags(parsed.flags, [], {});
  expect(settings.tls?.clientVerify).toBe(clientVerify);
  const server = await startServer({ store: new MetadataStore({} as Database, {}), port: 0, host: '127.0.0.1', tls: settings.tls });
  servers.push(server);
  return server;
}

describe('gRPC TLS from ssl_config', () => {
  it('parses PEM contents from the config file', () => {
    const config = parseServerConfigText(configText(true), 'inline');
    expect(config.sslConfig?.serverCert).toContain('-----BEGIN CERTIFICATE-----');
    expect(config.sslConfig?.clientVerify).toBe(true);
  });

  it('serves over TLS to a client trusting the CA; a plaintext client cannot talk to it', async () => {
    const server = await serveWithConfig(false);
    const tlsClient = mlmdClient(server.port, credentials.createSsl(Buffer.from(pem('ca.pem'))));
    expect(await callRpc(tlsClient, 'getArtifacts', {})).toMatchObject({ ok: false, code: Status.UNIMPLEMENTED });
    const plain = mlmdClient(server.port);
    expect(await callRpc(plain, 'getArtifacts', {})).toMatchObject({ ok: false, code: Status.UNAVAILABLE });
    tlsClient.close();
    plain.close();
  });

  it('with client_verify, requires a client certificate signed by custom_ca', async () => {
    const server = await serveWithConfig(true);
    const anonymous = mlmdClient(server.port, credentials.createSsl(Buffer.from(pem('ca.pem'))));
    expect(await callRpc(anonymous, 'getArtifacts', {})).toMatchObject({ ok: false, code: Status.UNAVAILABLE });
    const withCert = mlmdClient(
      server.port,
      credentials.createSsl(Buffer.from(pem('ca.pem')), Buffer.from(pem('client.key')), Buffer.from(pem('client.pem'))),
    );
    expect(await callRpc(withCert, 'getArtifacts', {})).toMatchObject({ ok: false, code: Status.UNIMPLEMENTED });
    anonymous.close();
    withCert.close();
  });
});
