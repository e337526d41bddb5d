// A real OpenID provider (panva's oidc-provider 8) for auth's end-to-end tests.
// Usage: node provider.mjs <port|0> <config.json>
//
// It listens on 127.0.0.1 and prints "READY <port>" once serving. Every
// start makes fresh signing keys, so a restart on the same port is a key
// rotation. The Go package beside this file (oidctest) writes the config and
// is the one source of the clients and their credentials:
//
//   audience         the resource indicator every token is issued for
//   scopes           the scopes the provider knows
//   clients          client metadata, passed to oidc-provider as they are
//   opaqueClients    client_ids whose access tokens are opaque (for
//                    introspection); every other client's are JWTs (RFC 9068)
//   introspectors    client_ids allowed to introspect (the resource server's);
//                    any other client is answered active: false
//   tls              {cert, key}: PEM files; the provider then serves HTTPS,
//                    asks every client for a certificate (without requiring
//                    one), and enables certificate-bound access tokens and
//                    self_signed_tls_client_auth (RFC 8705)
//   dpopNonceSecret  32 bytes, base64url: the token endpoint then demands
//                    DPoP nonces (RFC 9449 §8); without it, it issues none
//
// DPoP-bound tokens, introspection (RFC 7662), revocation (RFC 7009) and the
// client_credentials grant are always enabled.
import { readFileSync } from 'node:fs';
import { createServer as createHTTPServer } from 'node:http';
import { createServer as createHTTPSServer } from 'node:https';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const [portArg = '0', configFile] = process.argv.slice(2);
if (!configFile) {
  process.stderr.write('usage: node provider.mjs <port|0> <config.json>\n');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const {
  audience, scopes = [], clients = [], opaqueClients = [], introspectors = [], tls, dpopNonceSecret,
} = config;
const opaque = new Set(opaqueClients);
const introspecting = new Set(introspectors);

function key(type, alg, opts) {
  const { privateKey } = generateKeyPairSync(type, opts);
  return { ...privateKey.export({ format: 'jwk' }), kid: `${alg}-${randomUUID()}`, alg, use: 'sig' };
}

const server = tls
  ? createHTTPSServer({
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
    // Ask for a client certificate, accept any: self_signed_tls_client_auth
    // matches it against the client's registered keys, and a client without
    // one (DPoP, client secrets) still gets through.
    requestCert: true,
    rejectUnauthorized: false,
  })
  : createHTTPServer();

server.listen(Number(portArg), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    // Signs the provider's cookies; fresh at every start like the keys.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: {
      keys: [
        key('ec', 'ES256', { namedCurve: 'P-256' }),
        key('rsa', 'RS256', { modulusLength: 2048 }),
      ],
    },
    clients,
    clientAuthMethods: [
      'client_secret_basic',
      'private_key_jwt',
      ...(tls ? ['self_signed_tls_client_auth'] : []),
    ],
    scopes,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: (ctx, client) => introspecting.has(client.clientId),
      },
      revocation: { enabled: true },
      dPoP: {
        enabled: true,
        ...(dpopNonceSecret ? {
          nonceSecret: Buffer.from(dpopNonceSecret, 'base64url'),
          requireNonce: () => true,
        } : {}),
      },
      mTLS: {
        enabled: Boolean(tls),
        certificateBoundAccessTokens: Boolean(tls),
        selfSignedTlsClientAuth: Boolean(tls),
        // The certificate of this request's TLS connection, if it sent one.
        getCertificate: (ctx) => ctx.socket.getPeerX509Certificate?.(),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => ({
          scope: scopes.join(' '),
          audience,
          accessTokenTTL: 600,
          ...(opaque.has(client.clientId)
            ? { accessTokenFormat: 'opaque' }
            : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
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
