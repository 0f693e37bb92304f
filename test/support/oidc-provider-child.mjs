/**
 * A real OpenID provider (oidc-provider) for the sign-in tests, in a child
 * process because oidc-provider is ESM-only and jest runs CommonJS. It issues
 * JWT access tokens through the client_credentials grant with resource
 * indicators; the parent drives it over IPC:
 *   {cmd: 'keys', use: ['rsa-1', ...]}  publish these keys (the first one of an alg signs)
 *   {cmd: 'counts'}                     how often each issuer's JWKS was fetched
 * and reads one line `{"ready": {...}}` with the issuers once both listen.
 *
 * Two issuers share the keys: `main` (the ledger's) and `other` (a token from
 * it has a good signature but the wrong `iss`).
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import Provider from 'oidc-provider';

const LEDGER = 'https://ledger.test';

/** Keys made here once; `use` picks which are published. */
const keys = {
  'rsa-1': crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  'ec-2': crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  'rsa-3': crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};
const jwkOf = (kid) => ({ ...keys[kid].export({ format: 'jwk' }), kid, use: 'sig' });

/** Callers as a clinic's identity provider knows them: Keycloak-style realm roles. */
const callers = {
  'clinic-a-clinician': { clinic_id: 'clinic-a', roles: ['clinician', 'offline_access'] },
  'clinic-a-auditor': { clinic_id: 'clinic-a', roles: ['auditor', 'default-roles-ipt'] },
  'clinic-b-clinician': { clinic_id: 'clinic-b', roles: ['clinician'] },
  'clinic-a-no-roles': { clinic_id: 'clinic-a', roles: ['offline_access'] },
};
export const CLIENT_SECRET = 'client-secret-for-the-sign-in-tests';

/**
 * Resource indicators the tests ask tokens for: the ledger itself, and
 * variants the ledger must refuse (another audience, algorithms it does not take).
 */
function resourceServer(resource, signingAlg) {
  const base = { scope: 'ledger', accessTokenFormat: 'jwt', accessTokenTTL: 600 };
  switch (resource) {
    case LEDGER:
      return { ...base, audience: LEDGER, jwt: { sign: { alg: signingAlg } } };
    case `${LEDGER}/ps256`:
      return { ...base, audience: LEDGER, jwt: { sign: { alg: 'PS256' } } };
    case `${LEDGER}/hs256`:
      return {
        ...base,
        audience: LEDGER,
        jwt: { sign: { alg: 'HS256', key: crypto.randomBytes(32) } },
      };
    case 'https://other.test':
      return { ...base, audience: 'https://other.test', jwt: { sign: { alg: signingAlg } } };
    default:
      return undefined;
  }
}

function buildProvider(issuer, published) {
  const signingAlg = keys[published[0]].asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const provider = new Provider(issuer, {
    clients: Object.keys(callers).map((client_id) => ({
      client_id,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'ledger',
      id_token_signed_response_alg: signingAlg,
    })),
    scopes: ['openid', 'ledger'],
    jwks: { keys: published.map(jwkOf) },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => LEDGER,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          const info = resourceServer(resource, signingAlg);
          if (!info) throw new Provider.errors.InvalidTarget();
          return info;
        },
      },
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['HS256'],
      idTokenSigningAlgValues: ['RS256', 'ES256', 'PS256'],
    },
    extraTokenClaims: (_ctx, token) => {
      const caller = callers[token.clientId];
      return caller ? { clinic_id: caller.clinic_id, realm_access: { roles: caller.roles } } : {};
    },
  });
  return provider;
}

const counts = { main: 0, other: 0 };
const servers = {};
const providers = {};

function listen(name) {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) counts[name] += 1;
    providers[name].callback()(req, res);
  });
  servers[name] = server;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(server.address().port)),
  );
}

function publish(use) {
  for (const name of Object.keys(servers)) {
    providers[name] = buildProvider(servers[name].issuer, use);
  }
}

const ports = { main: await listen('main'), other: await listen('other') };
for (const name of Object.keys(servers)) servers[name].issuer = `http://127.0.0.1:${ports[name]}`;
publish(['rsa-1']);

process.on('message', (message) => {
  if (message.cmd === 'keys') {
    publish(message.use);
    process.send({ reply: 'keys', published: message.use });
  } else if (message.cmd === 'counts') {
    process.send({ reply: 'counts', counts: { ...counts } });
  }
});
process.on('disconnect', () => process.exit(0));

process.stdout.write(
  JSON.stringify({
    ready: {
      issuer: servers.main.issuer,
      otherIssuer: servers.other.issuer,
      jwksUrl: `${servers.main.issuer}/jwks`,
      audience: LEDGER,
    },
  }) + '\n',
);
