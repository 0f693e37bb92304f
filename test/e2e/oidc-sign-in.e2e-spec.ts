/**
 * Sign-in through a real OpenID provider (api.md, auth; issue 16): the
 * service is given the provider's JWKS URL, issuer and audience, and the
 * tests sign in through the provider's token endpoint (client_credentials,
 * JWT access tokens for the ledger's resource indicator). The roles travel
 * Keycloak-style in `realm_access.roles`, beside roles of other applications.
 *
 * Cache rules under test (AUTH_JWKS_COOLDOWN_SECONDS=1, AUTH_JWKS_MAX_AGE_SECONDS=2):
 * an unknown kid fetches the JWKS at most once per cooldown; a removed key
 * stops verifying at the first fetch after its removal; a failed fetch keeps
 * the cached keys.
 */
import * as crypto from 'node:crypto';
import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import { OidcTestProvider, LEDGER_AUDIENCE } from '../support/oidc-provider';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { waitFor } from '../support/wait-for';
import { enrollment } from './course-scenario';

const COOLDOWN_SECONDS = 1;

describe('sign-in with an OpenID provider (JWKS)', () => {
  let provider: OidcTestProvider;
  let app: LedgerApp;
  let api: LedgerClient;
  let courseId: string;

  beforeAll(async () => {
    provider = await OidcTestProvider.start();
    app = await startLedgerApp({
      env: {
        AUTH_JWT_SECRET: '',
        AUTH_JWKS_URL: provider.endpoints.jwksUrl,
        AUTH_ISSUER: provider.endpoints.issuer,
        AUTH_AUDIENCE: LEDGER_AUDIENCE,
        AUTH_ROLES_CLAIM: 'realm_access.roles',
        AUTH_JWKS_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
        AUTH_JWKS_MAX_AGE_SECONDS: '2',
      },
    });
    api = new LedgerClient(app.baseUrl);
  });

  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  const status = async (token: string, route = `/v1/courses/${courseId}`) =>
    (await api.as(token).get(route)).status;

  it('accepts a provider token: clinic and roles from its claims, other applications’ roles ignored', async () => {
    const clinician = await provider.token('clinic-a-clinician');
    expect(decodeProtectedHeader(clinician)).toMatchObject({ alg: 'RS256', kid: 'rsa-1' });
    const body = enrollment();
    courseId = body.courseId;
    const enrolled = await api.as(clinician).post('/v1/courses', body);
    expect(enrolled.status).toBe(201);

    expect(await status(await provider.token('clinic-a-auditor'))).toBe(200);
    // Another clinic's caller sees the course as missing; a caller with none of our roles is forbidden.
    expect(await status(await provider.token('clinic-b-clinician'))).toBe(404);
    const noRoles = await api
      .as(await provider.token('clinic-a-no-roles'))
      .get(`/v1/courses/${courseId}`);
    expect(noRoles.status).toBe(403);
    expect(noRoles.body.code).toBe('forbidden');
  });

  it('refuses a wrong issuer, a wrong audience and algorithms other than RS256/ES256 with 401', async () => {
    const refusals = {
      // Signed by a key in the ledger's JWKS, but by another issuer.
      otherIssuer: await provider.token('clinic-a-auditor', { issuer: 'other' }),
      otherAudience: await provider.token('clinic-a-auditor', { resource: 'https://other.test' }),
      ps256: await provider.token('clinic-a-auditor', { resource: `${LEDGER_AUDIENCE}/ps256` }),
      hs256: await provider.token('clinic-a-auditor', { resource: `${LEDGER_AUDIENCE}/hs256` }),
      // The embedded mode's HS256 tokens are refused once a JWKS is configured.
      embedded: tokenFor('clinic-a', ['auditor']),
    };
    expect(decodeProtectedHeader(refusals.ps256).kid).toBe('rsa-1');
    for (const [name, token] of Object.entries(refusals)) {
      const answer = await api.as(token).get(`/v1/courses/${courseId}`);
      expect({ name, status: answer.status, code: answer.body.code }).toEqual({
        name,
        status: 401,
        code: 'unauthorized',
      });
    }
  });

  it('refuses forged kids with 401 and fetches the JWKS at most once per cooldown for a flood of them', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = (kid: string) =>
      new SignJWT({ clinic_id: 'clinic-a', realm_access: { roles: ['auditor'] } })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject('mallory')
        .setIssuer(provider.endpoints.issuer)
        .setAudience(LEDGER_AUDIENCE)
        .setExpirationTime('5m')
        .sign(privateKey);
    // The classic confusion: the provider's own RSA public key used as an HS256 secret.
    const jwks = (await (await fetch(provider.endpoints.jwksUrl)).json()) as {
      keys: { kid: string }[];
    };
    const publicPem = crypto
      .createPublicKey({ key: jwks.keys.find((k) => k.kid === 'rsa-1')!, format: 'jwk' } as never)
      .export({ format: 'pem', type: 'spki' });
    const confused = await new SignJWT({
      clinic_id: 'clinic-a',
      realm_access: { roles: ['auditor'] },
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('mallory')
      .setIssuer(provider.endpoints.issuer)
      .setAudience(LEDGER_AUDIENCE)
      .setExpirationTime('5m')
      .sign(Buffer.from(publicPem));
    expect(await status(confused)).toBe(401);
    // A known kid with a foreign key: the signature fails.
    expect(await status(await forged('rsa-1'))).toBe(401);

    const before = await provider.jwksFetches();
    const started = Date.now();
    const tokens = await Promise.all(
      Array.from({ length: 60 }, () => forged(`bogus-${crypto.randomUUID()}`)),
    );
    const answers = await Promise.all(tokens.map((token) => status(token)));
    const elapsedMs = Date.now() - started;
    expect(new Set(answers)).toEqual(new Set([401]));
    const fetches = (await provider.jwksFetches()) - before;
    // At most one fetch per cooldown (plus the one the max age may take), never one per token.
    expect(fetches).toBeLessThanOrEqual(2 + Math.floor(elapsedMs / (COOLDOWN_SECONDS * 1000)));
  });

  it('accepts tokens of a rotated-in key without a restart, and drops a removed key', async () => {
    const oldToken = await provider.token('clinic-a-auditor');
    await provider.publish(['ec-2', 'rsa-1']);
    const newToken = await provider.token('clinic-a-auditor');
    expect(decodeProtectedHeader(newToken)).toMatchObject({ alg: 'ES256', kid: 'ec-2' });
    // The first unknown-kid fetch may fall in the cooldown of the flood above: await it.
    await waitFor(
      async () => (await status(newToken)) === 200,
      10000,
      () => app.output(),
    );
    expect(await status(oldToken)).toBe(200);

    await provider.publish(['ec-2']);
    await waitFor(
      async () => (await status(oldToken)) === 401,
      10000,
      () => app.output(),
    );
    expect(await status(newToken)).toBe(200);
  });

  it('keeps accepting tokens whose key is cached while the provider is down', async () => {
    const token = await provider.token('clinic-a-clinician');
    expect(await status(token)).toBe(200);
    await provider.stop();
    // Past the cache's max age the service tries the provider, fails, and keeps its keys.
    await waitFor(
      async () => (await status(token)) === 200 && app.output().includes('JWKS fetch failed'),
      15000,
      () => app.output(),
    );
    const next = await api.as(token).post(`/v1/courses/${courseId}/problem-area`, {
      area: 'grief',
    });
    expect(next.status).toBe(200);
  });
});
