/**
 * The signed-in caller. The bearer token lives in sessionStorage only (gone
 * when the tab closes, never in the URL); its claims are read, not verified:
 * the API verifies every request, the console only decides what to show.
 */
export type Role = 'clinician' | 'auditor' | 'analyst' | 'admin' | 'privacy_officer';

export interface Session {
  token: string;
  subject: string;
  clinicId: string;
  roles: Role[];
  expiresAt: number | null;
}

const KEY = 'ipt-console-token';

function claimAt(claims: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      claims,
    );
}

function decodePayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3)
    throw new Error('This is not a bearer token (a JWT has three parts separated by dots).');
  const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  try {
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (claims && typeof claims === 'object') return claims as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error('The token’s claims could not be read.');
}

/** Reads a token's clinic and roles (the default claim names of api.md). */
export function sessionFromToken(raw: string): Session {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  const claims = decodePayload(token);
  const clinicId = claimAt(claims, 'clinic_id') ?? claimAt(claims, 'clinicId');
  const roles = claimAt(claims, 'roles');
  if (typeof clinicId !== 'string' || !Array.isArray(roles)) {
    throw new Error('The token names no clinic or no roles.');
  }
  const exp = claims.exp;
  if (typeof exp === 'number' && exp * 1000 <= Date.now())
    throw new Error('The token has expired.');
  return {
    token,
    subject: typeof claims.sub === 'string' ? claims.sub : 'unknown',
    clinicId,
    roles: roles.filter((r): r is Role => typeof r === 'string') as Role[],
    expiresAt: typeof exp === 'number' ? exp * 1000 : null,
  };
}

export function loadSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  try {
    return sessionFromToken(token);
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, session.token);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export const canReadCourses = (s: Session): boolean =>
  s.roles.includes('clinician') || s.roles.includes('auditor');
export const isAuditor = (s: Session): boolean => s.roles.includes('auditor');
export const canReadSummary = (s: Session): boolean =>
  s.roles.includes('analyst') || canReadCourses(s);
