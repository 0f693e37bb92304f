/**
 * HS256 bearer tokens (api.md, auth and tenancy), the embedded mode.
 * Verification is strict: algorithm pinned, `exp` required, claims shaped as
 * the contract says. The identity-provider mode is jwks-verifier.ts.
 */
import { ensurePrivateDir } from '@ipt/config';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { ROLES, type Role } from '@ipt/course';

export interface Caller {
  userId: string;
  clinicId: string;
  roles: Role[];
}

/** What the HTTP edge asks of either sign-in mode. */
export interface TokenVerifier {
  /** The caller the token names; rejects with InvalidTokenError. */
  verify(token: string): Promise<Caller>;
}

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

export function verifyToken(token: string, secret: string): Caller {
  return verifyTokenClaims(token, secret).caller;
}

function verifyTokenClaims(token: string, secret: string): { caller: Caller; expiresAtMs: number } {
  let claims: jwt.JwtPayload | string;
  try {
    claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
  } catch (error) {
    const reason = error instanceof jwt.TokenExpiredError ? 'token expired' : 'invalid token';
    throw new InvalidTokenError(reason);
  }
  if (typeof claims === 'string') throw new InvalidTokenError('invalid token claims');
  const { sub, clinic_id: clinicId, roles, exp } = claims as Record<string, unknown>;
  if (typeof exp !== 'number') throw new InvalidTokenError('token has no exp');
  if (typeof sub !== 'string' || sub.length === 0) throw new InvalidTokenError('token has no sub');
  if (typeof clinicId !== 'string' || clinicId.length === 0)
    throw new InvalidTokenError('token has no clinic_id');
  if (!Array.isArray(roles) || !roles.every((r) => (ROLES as readonly unknown[]).includes(r))) {
    throw new InvalidTokenError('token roles must be an array of known roles');
  }
  return { caller: { userId: sub, clinicId, roles: roles as Role[] }, expiresAtMs: exp * 1000 };
}

/**
 * Verifies tokens once and remembers the result until the token expires: a
 * clinic system sends the same token with every command, and an HMAC check
 * plus claim parsing per request is measurable at thousands of requests per
 * second. Only successfully verified tokens are remembered.
 */
export class SharedSecretTokenVerifier implements TokenVerifier {
  private readonly verified: LRUCache<string, { caller: Caller; expiresAtMs: number }>;

  constructor(
    private readonly secret: string,
    maxTokens = 10000,
    private readonly now: () => number = Date.now,
  ) {
    this.verified = new LRUCache({ max: maxTokens });
  }

  verify(token: string): Promise<Caller> {
    try {
      return Promise.resolve(this.verifySync(token));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  verifySync(token: string): Caller {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAtMs > this.now()) return known.caller;
      this.verified.delete(token);
      throw new InvalidTokenError('token expired');
    }
    const result = verifyTokenClaims(token, this.secret);
    this.verified.set(token, result);
    return result.caller;
  }
}

export function signToken(
  claims: { sub: string; clinicId: string; roles: Role[] },
  secret: string,
  expiresInSeconds = 3600,
): string {
  return jwt.sign({ sub: claims.sub, clinic_id: claims.clinicId, roles: claims.roles }, secret, {
    algorithm: 'HS256',
    expiresIn: expiresInSeconds,
  });
}

/**
 * The embedded mode's secret: AUTH_JWT_SECRET when set, else a random one
 * created on first start in the data folder (readable by the owner only).
 */
export function resolveJwtSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'jwt-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  ensurePrivateDir(dataDir);
  const secret = crypto.randomBytes(48).toString('base64url');
  try {
    // 'wx': if two processes start at once, the first secret wins.
    fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return fs.readFileSync(file, 'utf8').trim();
    throw error;
  }
}
