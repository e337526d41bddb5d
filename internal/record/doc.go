// Package record is the per-request record that joins apishield's independent
// middleware packages.
//
// Context values set by an inner middleware are invisible to an outer one after
// next returns, so an outer middleware such as audit cannot learn what auth,
// authz, ratelimit or validate decided from the context alone. Instead the first
// apishield middleware that sees a request installs one mutable *Record in the
// request's context (see [Install]); every package writes its decision to it and
// audit reads it when the handler returns.
//
// The middleware a refusal before authentication passes through (errors,
// audit, ratelimit, auth) use [Enter] instead: the record travels with its
// response writer from one to the next, and the request is copied to carry
// it in its context only where it leaves them, for the application's
// handler or any function of the application's they call. A flood of
// refusals then costs one allocation each, the record.
//
// A Record belongs to one request. Its methods are safe for concurrent use, so a
// handler that writes to it from a goroutine it started does not race with the
// middleware that reads it.
//
// # Security
//
// The record holds no credential: a principal summary (subject, issuer,
// client ID, method), decisions with reason codes, and the problem's reason.
// Packages must keep it that way, since audit logs what the record holds.
//
// The request ID is minted here, never taken from the client: an incoming
// X-Request-ID becomes the ID only through [InstallTrusted], whose caller
// has checked that a trusted proxy set it. Otherwise an acceptable one is
// kept as [Record.ClientRequestID], for audit to log under its own name.
// The record is not exported outside the module; applications reach what
// they need through the packages' own APIs.
package record
