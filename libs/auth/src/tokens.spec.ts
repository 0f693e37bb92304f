import {
  InvalidTokenError,
  SharedSecretTokenVerifier,
  resolveJwtSecret,
  signToken,
  verifyToken,
} from './tokens';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jwt from 'jsonwebtoken';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

describe('bearer tokens', () => {
  it('verifies the claims of a token it signed', () => {
    const token = signToken({ sub: 'u1', clinicId: 'c1', roles: ['clinician', 'auditor'] }, SECRET);
    expect(verifyToken(token, SECRET)).toEqual({
      userId: 'u1',
      clinicId: 'c1',
      roles: ['clinician', 'auditor'],
    });
  });

  it('refuses another secret, another algorithm, unknown roles and missing claims', () => {
    const token = signToken({ sub: 'u1', clinicId: 'c1', roles: ['clinician'] }, SECRET);
    expect(() => verifyToken(token, SECRET + 'x')).toThrow(InvalidTokenError);
    const hs512 = jwt.sign({ sub: 'u', clinic_id: 'c', roles: ['admin'] }, SECRET, {
      algorithm: 'HS512',
      expiresIn: 60,
    });
    expect(() => verifyToken(hs512, SECRET)).toThrow(InvalidTokenError);
    const unknownRole = jwt.sign({ sub: 'u', clinic_id: 'c', roles: ['root'] }, SECRET, {
      expiresIn: 60,
    });
    expect(() => verifyToken(unknownRole, SECRET)).toThrow('roles');
    const noExp = jwt.sign({ sub: 'u', clinic_id: 'c', roles: ['admin'] }, SECRET);
    expect(() => verifyToken(noExp, SECRET)).toThrow('exp');
    const noClinic = jwt.sign({ sub: 'u', roles: ['admin'] }, SECRET, { expiresIn: 60 });
    expect(() => verifyToken(noClinic, SECRET)).toThrow('clinic_id');
  });

  it('the caching verifier still refuses a remembered token once it expires', () => {
    let now = Date.now();
    const verifier = new SharedSecretTokenVerifier(SECRET, 10, () => now);
    const token = signToken({ sub: 'u1', clinicId: 'c1', roles: ['analyst'] }, SECRET, 60);
    expect(verifier.verifySync(token).clinicId).toBe('c1');
    now += 61_000;
    expect(() => verifier.verifySync(token)).toThrow('token expired');
    expect(() => verifier.verifySync(token.slice(0, -2) + 'xx')).toThrow(InvalidTokenError);
  });

  it('creates the embedded secret once and keeps it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-'));
    const first = resolveJwtSecret(undefined, dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(resolveJwtSecret(undefined, dir)).toBe(first);
    expect(fs.statSync(path.join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(resolveJwtSecret('configured-secret-of-sufficient-length!!', dir)).toBe(
      'configured-secret-of-sufficient-length!!',
    );
  });
});
