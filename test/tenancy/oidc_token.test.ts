import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlmdError, StatusCode } from '../../src/errors';
import { OidcTokenVerifier } from '../../src/tenancy/oidc_token';

const ISSUER = 'http://dex.auth.svc.cluster.local:5556/dex';
let server: http.Server;
let jwksUrl: string;
let key: CryptoKey;
let strangerKey: CryptoKey;
let jwksFetches = 0;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  ({ privateKey: strangerKey } = await generateKeyPair('RS256'));
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = http.createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function token(claims: Record<string, unknown>, options: { signWith?: CryptoKey; issuer?: string; audience?: string; expiresIn?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? 'kubeflow-oidc-authservice')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.signWith ?? key);
}

function verifier(url = jwksUrl, failures: string[] = []) {
  return new OidcTokenVerifier(
    { issuer: ISSUER, jwksUrl: url, audiences: ['kubeflow-oidc-authservice'], userClaim: 'email', groupsClaim: 'groups' },
    (d) => failures.push(d),
  );
}

describe('OIDC JWTs verified with the issuer keys (jose)', () => {
  it('accepts a valid token: user from the email claim, groups from the groups claim', async () => {
    const t = await token({ email: 'alice@example.com', groups: ['team-a', 7] });
    const v = verifier();
    expect(v.claimsOurIssuer(t)).toBe(true);
    expect(await v.verify(t)).toEqual({ name: 'alice@example.com', groups: ['team-a'] });
    expect(jwksFetches).toBeGreaterThan(0);
  });

  it('refuses tokens signed by another key, of another issuer or audience, expired, or without the user claim', async () => {
    const v = verifier();
    expect(await v.verify(await token({ email: 'alice@example.com' }, { signWith: strangerKey }))).toBeUndefined();
    expect(await v.verify(await token({ email: 'alice@example.com' }, { issuer: 'https://evil.example' }))).toBeUndefined();
    expect(await v.verify(await token({ email: 'alice@example.com' }, { audience: 'someone-else' }))).toBeUndefined();
    expect(await v.verify(await token({ email: 'alice@example.com' }, { expiresIn: '-1m' }))).toBeUndefined();
    expect(await v.verify(await token({ sub: 'no-email' }))).toBeUndefined();
    expect(await v.verify('not.a.jwt')).toBeUndefined();
    expect(v.claimsOurIssuer('not a jwt')).toBe(false);
  });

  it('fails UNAVAILABLE when the keys cannot be fetched', async () => {
    const failures: string[] = [];
    const down = verifier('http://127.0.0.1:9/keys', failures);
    const error = await down.verify(await token({ email: 'alice@example.com' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlmdError);
    expect((error as MlmdError).code).toBe(StatusCode.UNAVAILABLE);
    expect(failures).toHaveLength(1);
  });
});

