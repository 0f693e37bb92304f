/**
 * Sign-in through a deployment's identity provider (api.md, auth): RS256 or
 * ES256 tokens verified with `jose` against the provider's JWKS, with the
 * issuer and audience pinned and the clinic and roles read from configurable
 * claims.
 *
 * Key cache rules (jose fetches, this class decides when):
 * - the JWKS is fetched on first use and again once it is older than
 *   `maxAgeSeconds`; a token naming a `kid` the cached set lacks asks for a
 *   fetch too (the provider rotated its key);
 * - fetches are at least `cooldownSeconds` apart, whatever asks for them, and
 *   concurrent askers share one fetch: a flood of tokens with bogus kids costs
 *   the provider one request per cooldown, not one per token;
 * - a failed fetch keeps the keys of the last good one (the provider being
 *   down does not sign everyone out); a key the provider removed stops
 *   verifying at the first successful fetch after its removal.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { ROLES, type Role } from '@ipt/course';
import { InvalidTokenError, type Caller, type TokenVerifier } from './tokens';

export interface JwksVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  clinicClaim: string;
  rolesClaim: string;
  cooldownSeconds: number;
  maxAgeSeconds: number;
  clockToleranceSeconds: number;
  /** Told about failed JWKS fetches (never about tokens). */
  onFetchError?: (error: Error) => void;
  now?: () => number;
}

/** Never `none`, never HS* (a JWKS public key must not become an HMAC secret). */
export const JWKS_ALGORITHMS = ['RS256', 'ES256'];

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

export class JwksTokenVerifier implements TokenVerifier {
  private readonly remote: ReturnType<typeof createRemoteJWKSet>;
  private local: KeyLookup | undefined;
  private fetchedAt: number | undefined;
  private attemptedAt: number | undefined;
  private pending: Promise<boolean> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: JwksVerifierOptions) {
    this.now = options.now ?? Date.now;
    // jose's own freshness rules are switched off: it only fetches when reload() is called here.
    this.remote = createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: Number.POSITIVE_INFINITY,
      cooldownDuration: 0,
      timeoutDuration: 5000,
    });
  }

  async verify(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, jws) => this.key(header, jws), {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: JWKS_ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new InvalidTokenError(reasonOf(error));
    }
    return this.callerOf(payload);
  }

  private async key(
    header: Parameters<KeyLookup>[0],
    jws: Parameters<KeyLookup>[1],
  ): ReturnType<KeyLookup> {
    const stale =
      this.fetchedAt === undefined ||
      this.now() - this.fetchedAt >= this.options.maxAgeSeconds * 1000;
    if (stale) await this.refresh();
    if (!this.local) throw new errors.JWKSNoMatchingKey('the signing keys are not available');
    try {
      return await this.local(header, jws);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey && (await this.refresh())) {
        return this.local(header, jws);
      }
      throw error;
    }
  }

  /** One fetch at a time and one per cooldown; true when a fetch succeeded now. */
  private refresh(): Promise<boolean> {
    if (this.pending) return this.pending;
    const cooling =
      this.attemptedAt !== undefined &&
      this.now() - this.attemptedAt < this.options.cooldownSeconds * 1000;
    if (cooling) return Promise.resolve(false);
    this.attemptedAt = this.now();
    this.pending = this.remote
      .reload()
      .then(() => {
        this.local = createLocalJWKSet(this.remote.jwks() as JSONWebKeySet);
        this.fetchedAt = this.now();
        return true;
      })
      .catch((error: unknown) => {
        this.options.onFetchError?.(error as Error);
        return false;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private callerOf(payload: JWTPayload): Caller {
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0)
      throw new InvalidTokenError('token has no sub');
    const clinicId = claimAt(payload, this.options.clinicClaim);
    if (typeof clinicId !== 'string' || clinicId.length === 0) {
      throw new InvalidTokenError(`token has no ${this.options.clinicClaim}`);
    }
    const roles = claimAt(payload, this.options.rolesClaim);
    if (roles !== undefined && !Array.isArray(roles)) {
      throw new InvalidTokenError(`token claim ${this.options.rolesClaim} must be an array`);
    }
    // A provider's role claim also carries other applications' roles (Keycloak's
    // offline_access, default-roles-*): only ours count; none of ours means 403, not 401.
    const ours = (roles ?? []).filter((r): r is Role => (ROLES as readonly unknown[]).includes(r));
    return { userId: sub, clinicId, roles: ours };
  }
}

/** The value at a dotted path (`realm_access.roles`); a claim whose own name has a dot wins. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A fixed reason per failure kind: the token's own content never reaches the answer. */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    return ['iss', 'aud', 'nbf', 'exp', 'sub', 'iat'].includes(claim)
      ? `token ${claim} is not acceptable`
      : 'invalid token claims';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token signing key is unknown';
  return 'invalid token';
}
