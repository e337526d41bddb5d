package demo

import "github.com/apishield/apishield/validate"

// MaxBodyBytes is the most any request to the demo API may carry. The
// largest body it takes, a new item, needs far less; the Create validator
// bounds that route's body at the same size.
const MaxBodyBytes = 64 << 10

// BodyLimit bounds the body of every request the demo API serves at
// MaxBodyBytes, whatever its route or method: a body over it is refused
// with 413, before it is read when it announces its length, and after
// MaxBodyBytes when it comes chunked. Routes with a body schema are bounded
// by their validator too; this covers the others (GET and DELETE routes,
// the public ones, unknown paths), whose handlers never read a body.
//
// The examples put it innermost in front of their routes, after the authz
// policy: nothing before it reads the body, and callers the policy refuses
// never make it read ahead.
func BodyLimit() (*validate.BodyLimit, error) {
	return validate.NewBodyLimit(validate.BodyLimitConfig{MaxBytes: MaxBodyBytes})
}
