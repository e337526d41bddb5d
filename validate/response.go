package validate

import "github.com/apishield/apishield/internal/schemacheck"

// ResponseMode says what a response that breaks the Response schema causes.
// Checking responses stops excessive data exposure (OWASP API3): a handler
// that serializes a whole database row cannot leak the fields the contract
// leaves out. It is an alias of the type package openapi shares.
type ResponseMode = schemacheck.ResponseMode

const (
	// ResponseEnforce holds each 2xx JSON response back until it is checked;
	// one that breaks the schema is never sent, and the client gets a 500
	// problem instead. The violation is logged and recorded.
	ResponseEnforce = schemacheck.ResponseEnforce
	// ResponseReport sends every response as the handler wrote it, and logs
	// and records the violations: a dry run before enforcing.
	ResponseReport = schemacheck.ResponseReport
)
