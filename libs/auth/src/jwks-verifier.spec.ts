import { claimAt } from './jwks-verifier';

describe('claims at a dotted path', () => {
  it('reads nested claims, prefers a claim named with a dot, and finds nothing through non-objects', () => {
    const payload = {
      realm_access: { roles: ['clinician'] },
      'https://ipt.example/clinic': 'c1',
      roles: ['admin'],
    };
    expect(claimAt(payload, 'realm_access.roles')).toEqual(['clinician']);
    expect(claimAt(payload, 'https://ipt.example/clinic')).toBe('c1');
    expect(claimAt(payload, 'roles')).toEqual(['admin']);
    expect(claimAt(payload, 'roles.0')).toBeUndefined();
    expect(claimAt(payload, 'missing.roles')).toBeUndefined();
  });
});
