// Package openapi makes an API's OpenAPI document (3.0.x or 3.1.x, YAML
// or JSON) its security contract. Load reads the document once, at
// start-up, and refuses what it cannot enforce; the [Contract] it returns
// then enforces, for every request, what the document says about the
// operation the request calls:
//
//   - which operation it is (server base path, templated paths, the
//     specification's precedence), with 404 for a path the document does
//     not declare and 405 for a method it does not declare: deny by
//     default;
//   - who may call it: the security schemes and requirements (an OR of
//     ANDs; [] for public), checked against the principal package auth
//     proved, with oauth2 and openIdConnect scopes through package authz;
//     an operation without declared security follows Config.Undeclared,
//     which fails closed;
//   - what it may be sent: its parameters in every style and its body,
//     JSON through package validate's bounds and form-encoded, checked
//     against their schemas with jsonschema v6;
//   - optionally, what it may answer (Config.Responses);
//   - and the x-apishield- extensions for what OpenAPI cannot say: rate
//     limits and their cost, ownership rules, deprecation dates.
//
// The same contract checks at start-up that the application's router
// serves exactly the document's operations, and produces an inventory
// report of every operation for audits (see cmd/apishield-openapi).
package openapi
