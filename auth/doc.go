// Package auth establishes who is calling an API: JWT access tokens verified
// against an issuer's JWKS, and API keys. The authenticated caller is a
// [Principal] in the request's context, read with [FromContext].
package auth
