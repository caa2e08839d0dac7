import { createRemoteJWKSet, decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import { MlmdError, StatusCode } from '../errors';

export interface OidcSettings {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audiences: readonly string[];
  readonly userClaim: string;
  readonly groupsClaim: string;
}

/**
 * OIDC ID tokens (e.g. the Dex JWT Kubeflow's gateway forwards) verified against the
 * issuer's published keys: signature, issuer, audience, expiry. The keys are fetched and
 * refreshed by jose (on an unknown key id, at most every 30 s).
 */
export class OidcTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly settings: OidcSettings,
    private readonly onFailure: (detail: string) => void,
  ) {
    this.keys = createRemoteJWKSet(new URL(settings.jwksUrl));
  }

  /** Whether the token claims to come from our issuer (unverified): only then is it ours to verify. */
  claimsOurIssuer(token: string): boolean {
    try {
      return decodeJwt(token).iss === this.settings.issuer;
    } catch {
      return false;
    }
  }

  /** The user and groups of a valid token; undefined for an invalid one; UNAVAILABLE when the keys cannot be fetched. */
  async verify(token: string): Promise<{ name: string; groups: string[] } | undefined> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audiences.length ? [...this.settings.audiences] : undefined,
      }));
    } catch (e) {
      // A bad token is a JOSEError; the keys not being fetchable is not the caller's fault.
      const keysUnavailable = e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid || !(e instanceof joseErrors.JOSEError);
      if (!keysUnavailable) return undefined;
      this.onFailure(`cannot fetch the OIDC keys from ${this.settings.jwksUrl}: ${(e as Error).message}`);
      throw new MlmdError(StatusCode.UNAVAILABLE, "The OIDC issuer's keys could not be fetched to verify this call's token; try again later.");
    }
    const name = payload[this.settings.userClaim];
    if (typeof name !== 'string' || !name) return undefined;
    const rawGroups = payload[this.settings.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : [];
    return { name, groups };
  }
}
