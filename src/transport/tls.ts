import { ServerCredentials } from '@grpc/grpc-js';
import type { TlsSettings } from '../config/server_settings';

/**
 * Upstream's ssl_config: one key/cert pair; custom_ca (if any) verifies client certificates;
 * client_verify requires them. Without TLS settings the port is plaintext, as upstream.
 */
export function serverCredentials(tls: TlsSettings | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.customCa ? Buffer.from(tls.customCa) : null,
    [{ private_key: Buffer.from(tls.serverKey), cert_chain: Buffer.from(tls.serverCert) }],
    tls.clientVerify,
  );
}
