package errors

import (
	"github.com/apishield/apishield/internal/jsonstr"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Envelope is the problem as the client sees it: what a [Renderer] encodes.
// Detail is already empty for 5xx statuses.
type Envelope struct {
	Type      string
	Title     string
	Status    int
	Detail    string
	Instance  string
	Reason    string
	RequestID string
	Errors    []FieldError
	// Extensions are the problem type's own members (Problem.Extensions),
	// empty for 5xx statuses.
	Extensions []Extension
}

// A Renderer encodes an envelope as a response body. Render appends the body
// to dst and returns it with the body's media type. The request is given for
// content negotiation; a renderer must not write to the response.
//
// Renderers must be safe for concurrent use.
type Renderer interface {
	Render(dst []byte, r *http.Request, e *Envelope) (body []byte, contentType string)
}

// RendererFunc adapts a function to the Renderer interface.
type RendererFunc func(dst []byte, r *http.Request, e *Envelope) ([]byte, string)

// Render calls f.
func (f RendererFunc) Render(dst []byte, r *http.Request, e *Envelope) ([]byte, string) {
	return f(dst, r, e)
}

// ProblemJSON is the default renderer: RFC 9457 application/problem+json,
//
//	{"type":"tag:apishield,2026:token_expired","title":"Unauthorized","status":401,
//	 "detail":"The access token is expired.","instance":"/v1/items",
//	 "reason":"token_expired","request_id":"01J…","errors":[…]}
//
// sent as application/json instead when the client's Accept header excludes
// application/problem+json but accepts application/json. Empty members are
// omitted.
var ProblemJSON Renderer = problemJSON{}

// SimpleJSON renders the simple envelope some teams prefer, always as
// application/json:
//
//	{"error":"Bad Request","code":400,"message":"…","request_id":"…"}
//
// with "reason" and "errors" members added when present.
var SimpleJSON Renderer = simpleJSON{}

type problemJSON struct{}

func (problemJSON) Render(b []byte, r *http.Request, e *Envelope) ([]byte, string) {
	b = problemHead(b, e.Type, e.Title, e.Status)
	b = appendMember(b, "detail", e.Detail)
	b = appendMember(b, "instance", e.Instance)
	b = appendMember(b, "reason", e.Reason)
	return problemTail(b, e), negotiate(r)
}

// problemHead appends ProblemJSON's opening members.
func problemHead(b []byte, typ, title string, status int) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"title":`...)
	b = appendString(b, title)
	b = append(b, `,"status":`...)
	return strconv.AppendInt(b, int64(status), 10)
}

// problemTail appends ProblemJSON's members after "reason", and the end.
func problemTail(b []byte, e *Envelope) []byte {
	b = appendMember(b, "request_id", e.RequestID)
	b = appendFieldErrors(b, e.Errors)
	b = appendExtensions(b, e.Extensions, problemMembers)
	return append(b, '}')
}

// renderKnown is ProblemJSON's Render, without the media type, for an
// envelope whose type, title, status and reason are k's: their members
// are copied as k rendered them.
func renderKnown(b []byte, e *Envelope, k *knownReason) []byte {
	b = append(b, k.head...)
	b = appendMember(b, "detail", e.Detail)
	b = appendMember(b, "instance", e.Instance)
	b = append(b, k.reason...)
	return problemTail(b, e)
}

// The members each renderer writes itself, which no extension may repeat:
// a JSON object with a name twice is read differently by different parsers.
var (
	problemMembers = []string{"type", "title", "status", "detail", "instance", "reason", "request_id", "errors"}
	simpleMembers  = []string{"error", "code", "message", "request_id", "reason", "errors"}
)

// appendExtensions appends each extension whose name is not in reserved
// and not used by an earlier one, as an array of strings.
func appendExtensions(b []byte, ext []Extension, reserved []string) []byte {
	for i, x := range ext {
		if x.Name == "" || slices.Contains(reserved, x.Name) || slices.ContainsFunc(ext[:i], func(y Extension) bool { return y.Name == x.Name }) {
			continue
		}
		b = append(b, ',')
		b = appendString(b, x.Name)
		b = append(b, ':', '[')
		for j, v := range x.Values {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, v)
		}
		b = append(b, ']')
	}
	return b
}

type simpleJSON struct{}

func (simpleJSON) Render(b []byte, _ *http.Request, e *Envelope) ([]byte, string) {
	b = append(b, `{"error":`...)
	b = appendString(b, e.Title)
	b = append(b, `,"code":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = appendMember(b, "request_id", e.RequestID)
	b = appendMember(b, "reason", e.Reason)
	b = appendFieldErrors(b, e.Errors)
	b = appendExtensions(b, e.Extensions, simpleMembers)
	b = append(b, '}')
	return b, contentTypeJSON
}

const (
	contentTypeProblem = "application/problem+json"
	contentTypeJSON    = "application/json"
)

// negotiate picks problem+json unless the Accept header gives it quality 0
// (explicitly, or by listing only other types) while accepting
// application/json. A client that accepts neither still gets problem+json:
// an error response is better than a 406 about the error response.
func negotiate(r *http.Request) string {
	if r == nil {
		return contentTypeProblem
	}
	accept := r.Header["Accept"] // canonical: no canonicalising per problem
	if len(accept) == 0 {
		return contentTypeProblem
	}
	if quality(accept, "problem+json") > 0 {
		return contentTypeProblem
	}
	if quality(accept, "json") > 0 {
		return contentTypeJSON
	}
	return contentTypeProblem
}

// maxAcceptRanges bounds the work spent on a hostile Accept header.
const maxAcceptRanges = 32

// quality returns the q-value the Accept header values give to
// application/<sub>, using the most specific matching range as RFC 9110
// §12.5.1 requires. It returns 0 if no range matches.
func quality(accept []string, sub string) float64 {
	best, bestSpec := 0.0, -1
	n := 0
	for _, line := range accept {
		for rng := range strings.SplitSeq(line, ",") {
			if n++; n > maxAcceptRanges {
				return best
			}
			mt, params, _ := strings.Cut(rng, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			spec := -1
			switch mt {
			case "application/" + sub:
				spec = 2
			case "application/*":
				spec = 1
			case "*/*":
				spec = 0
			}
			if spec < bestSpec || spec < 0 {
				continue
			}
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0 // RFC 9110 bounds q to [0,1]; garbage means "not this one"
					}
					q = f
				}
			}
			best, bestSpec = q, spec
		}
	}
	return best
}

func appendMember(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

func appendFieldErrors(b []byte, errs []FieldError) []byte {
	if len(errs) == 0 {
		return b
	}
	b = append(b, `,"errors":[`...)
	for i, fe := range errs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if fe.In != "" {
			b = append(b, `"in":`...)
			b = appendString(b, fe.In)
			b = append(b, ',')
		}
		b = append(b, `"pointer":`...)
		b = appendString(b, fe.Pointer)
		b = append(b, `,"detail":`...)
		b = appendString(b, fe.Detail)
		b = appendMember(b, "keyword", fe.Keyword)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendString appends s as a JSON string, escaped so that the body stays
// inert if sniffed as HTML (<, > and & escaped) and valid JSON whatever s
// holds (see jsonstr).
func appendString(b []byte, s string) []byte {
	return jsonstr.Append(b, s, jsonstr.Slog|jsonstr.EscapeHTML)
}
