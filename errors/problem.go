package errors

import (
	"net/http"
	"strconv"
)

// A Problem is an RFC 9457 problem detail: the one error every apishield
// package returns to a client. It implements error, so it travels through
// ordinary Go error handling and is found again with errors.As.
//
// A Problem separates what the client may see (Status, Reason, Detail, Errors,
// Header) from what only the log may see (the cause, set with [Problem.WithCause]).
// Detail is sent only for 4xx statuses; a 5xx sends no detail at all.
type Problem struct {
	// Status is the HTTP status code, 400 to 599.
	Status int
	// Reason is the machine code from the registry (see [Reasons]).
	Reason string
	// Detail is a human-readable explanation for this occurrence. It must not
	// contain secrets or echo attacker input verbatim. Never sent for 5xx.
	Detail string
	// Errors lists per-field failures, for validation problems.
	Errors []FieldError
	// Header holds response headers the problem requires, such as
	// WWW-Authenticate, Retry-After or Allow. Nil means none.
	Header http.Header
	// Type, if set, is the problem type's URI, for a type that another
	// specification defines, such as the quota-exceeded type of the IETF
	// RateLimit fields draft. If empty, the type is formed from the
	// Responder's TypePrefix and Reason. Reason is sent either way.
	Type string
	// Extensions are the members the problem type defines beyond
	// apishield's own, such as quota-exceeded's "violated-policies". Like
	// Detail, they are sent only with a 4xx status.
	Extensions []Extension

	cause error
}

// An Extension is an extension member of a problem (RFC 9457 §3.2) whose
// value is an array of strings. A renderer leaves out an extension whose
// name is one of the members it writes itself.
type Extension struct {
	Name   string
	Values []string
}

// FieldError is one failure at one place in the request: where the value
// was (In), which value (Pointer), and what is wrong with it (Detail).
//
// Pointer is always an RFC 6901 JSON Pointer ("" is the whole value, "~0"
// and "~1" escape "~" and "/" in a name), resolved against the value In
// names: for the body, the JSON document; for the query, path, header and
// cookie parameters, an object with one member per parameter name, whose
// value is an array for a parameter that may repeat. So a query parameter
// limit is {"in":"query","pointer":"/limit"}, its second repetition
// {"in":"query","pointer":"/limit/1"}, and a body's price
// {"in":"body","pointer":"/price"}. A header's name is case-insensitive:
// its pointer spells it as the schema declares it. The In values are
// OpenAPI's parameter locations plus "body", so a client can map an error
// onto the operation's description.
type FieldError struct {
	In      string `json:"in,omitempty"`      // InBody, InQuery, InPath, InHeader or InCookie; empty if not known
	Pointer string `json:"pointer"`           // RFC 6901 JSON Pointer to the failing value within In
	Detail  string `json:"detail"`            // what is wrong, without echoing the value
	Keyword string `json:"keyword,omitempty"` // the schema keyword that failed, if any
}

// Where a [FieldError]'s value was.
const (
	InBody   = "body"   // the request content
	InQuery  = "query"  // a query string parameter
	InPath   = "path"   // a path parameter
	InHeader = "header" // a request header
	InCookie = "cookie" // a cookie
)

// New returns a problem with the given status, reason code and detail. A
// status of 0 means the reason's registered status; a status outside 400–599
// becomes 500, since a problem is always an error.
func New(status int, reason, detail string) *Problem {
	if status == 0 {
		if ri, ok := byReason[reason]; ok {
			status = ri.Status
		}
	}
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	return &Problem{Status: status, Reason: reason, Detail: detail}
}

// Internal returns a 500 problem that carries cause for the log only.
func Internal(cause error) *Problem {
	return &Problem{Status: http.StatusInternalServerError, Reason: ReasonInternal, cause: cause}
}

// WithCause returns a copy of p whose cause, for the server log only, is err.
func (p *Problem) WithCause(err error) *Problem {
	q := *p
	q.cause = err
	return &q
}

// WithHeader returns a copy of p that also sets the response header key to value.
func (p *Problem) WithHeader(key, value string) *Problem {
	q := *p
	q.Header = p.Header.Clone()
	if q.Header == nil {
		q.Header = make(http.Header, 1)
	}
	q.Header.Set(key, value)
	return &q
}

// WithType returns a copy of p whose type URI is uri: a problem type that
// another specification defines, with the members ext it defines.
func (p *Problem) WithType(uri string, ext ...Extension) *Problem {
	q := *p
	q.Type = uri
	q.Extensions = append([]Extension(nil), ext...)
	return &q
}

// WithErrors returns a copy of p listing the field errors errs.
func (p *Problem) WithErrors(errs ...FieldError) *Problem {
	q := *p
	q.Errors = append([]FieldError(nil), errs...)
	return &q
}

// Error describes the problem for logs: status, reason, detail and cause.
// It is never what a client sees.
func (p *Problem) Error() string {
	s := "apishield: " + strconv.Itoa(p.Status) + " " + p.Reason
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if p.cause != nil {
		s += ": " + p.cause.Error()
	}
	return s
}

// Unwrap returns the cause, so errors.Is and errors.As see through a Problem.
func (p *Problem) Unwrap() error { return p.cause }

// Title returns the problem's title: the reason's registered title, or the
// status text when the reason is not registered.
func (p *Problem) Title() string { return title(p.Reason, p.Status) }
