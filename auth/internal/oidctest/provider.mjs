// A real OpenID provider (panva's oidc-provider) for auth's end-to-end test.
// Usage: node provider.mjs <port|0> <audience>
// It listens on 127.0.0.1, prints "READY <port>" once serving, and issues
// JWT access tokens for the audience to the client_credentials client
// "apishield" (secret "apishield-secret"). Every start makes fresh keys, so
// a restart on the same port is a key rotation.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const [portArg = '0', audience = 'https://api.example'] = process.argv.slice(2);

function key(type, alg, opts) {
  const { privateKey } = generateKeyPairSync(type, opts);
  return { ...privateKey.export({ format: 'jwk' }), kid: `${alg}-${randomUUID()}`, alg, use: 'sig' };
}

const server = createServer();
server.listen(Number(portArg), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    // Signs the provider's cookies; fresh at every start like the keys.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: {
      keys: [
        key('ec', 'ES256', { namedCurve: 'P-256' }),
        key('rsa', 'RS256', { modulusLength: 2048 }),
      ],
    },
    clients: [{
      client_id: 'apishield',
      client_secret: 'apishield-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    }],
    scopes: ['items:read', 'items:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'items:read items:write',
          audience,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`READY ${port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
