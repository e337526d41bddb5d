package openapi

import (
	"cmp"
	"mime"
	"slices"
	"strings"
	"time"
)

// An Inventory is the report of every operation of a contract, for audits
// (OWASP API9, improper inventory management): who may call it, what of
// its input is validated, its rate limit, ownership rule and deprecation,
// and the warnings a reviewer should look at. Its JSON field names are
// stable, for tools; [Inventory.WriteMarkdown] writes it for people.
// [Contract.Inventory] builds it; cmd/apishield-openapi prints it.
type Inventory struct {
	Title      string `json:"title"`       // info.title
	APIVersion string `json:"api_version"` // info.version
	OpenAPI    string `json:"openapi"`     // the document's OpenAPI version
	// Undeclared is what an operation without declared security requires
	// under the contract's Config: "authenticated", "deny" or "public".
	Undeclared string `json:"undeclared"`
	// Responses is whether responses are checked: "off", "report" or
	// "enforce" (Config.Responses).
	Responses  string            `json:"responses"`
	Operations []OperationReport `json:"operations"` // in document order
	Totals     Totals            `json:"totals"`
}

// An OperationReport is one operation of an [Inventory].
type OperationReport struct {
	ID      string `json:"id"`     // operationId, or ""
	Method  string `json:"method"` // "GET"
	Path    string `json:"path"`   // the Paths Object's key: "/items/{id}"
	Summary string `json:"summary"`
	// Pointer is the JSON pointer of the operation in the document.
	Pointer     string             `json:"pointer"`
	Deprecated  bool               `json:"deprecated"`
	Deprecation *DeprecationReport `json:"deprecation,omitempty"` // from x-apishield-deprecation
	Security    SecurityReport     `json:"security"`
	Parameters  []ParameterReport  `json:"parameters"`
	Body        *BodyReport        `json:"body"` // null when the operation declares none
	// Responses are the declared responses, sorted by status key.
	Responses []ResponseReport `json:"responses"`
	RateLimit string           `json:"rate_limit"` // x-apishield-rate-limit, or ""
	Cost      int              `json:"cost"`       // x-apishield-cost; 1 when absent
	Owner     string           `json:"owner"`      // x-apishield-owner, or ""
	Warnings  []Warning        `json:"warnings"`   // sorted by code, then location
}

// A DeprecationReport is an operation's x-apishield-deprecation: dates in
// RFC 3339, "" when absent.
type DeprecationReport struct {
	Since     string `json:"since"`
	Sunset    string `json:"sunset"`
	Docs      string `json:"docs"`
	Successor string `json:"successor"`
}

// The modes of a [SecurityReport].
const (
	SecurityRequired   = "required"   // the document's alternatives, none of them empty
	SecurityPublic     = "public"     // an empty alternative lets anyone in
	SecurityUndeclared = "undeclared" // no requirement declared: Config.Undeclared decides
)

// A SecurityReport is who may call an operation.
type SecurityReport struct {
	// Mode is SecurityRequired, SecurityPublic or SecurityUndeclared.
	Mode string `json:"mode"`
	// Undeclared is, for SecurityUndeclared, what the contract requires
	// instead: "authenticated", "deny" or "public"; else "".
	Undeclared string `json:"undeclared,omitempty"`
	// Alternatives is the requirement, an OR of ANDs: a caller passes
	// when every scheme of one alternative holds. An empty alternative
	// is the public one.
	Alternatives [][]SchemeReport `json:"alternatives"`
}

// A SchemeReport is one security scheme of an alternative.
type SchemeReport struct {
	Scheme string `json:"scheme"` // its name in components.securitySchemes
	// Type is the scheme's type and how it travels: "oauth2",
	// "openIdConnect", "mutualTLS", "http bearer", "apiKey header
	// X-API-Key".
	Type   string   `json:"type"`
	Scopes []string `json:"scopes"`
}

// A ParameterReport is one declared parameter.
type ParameterReport struct {
	Name       string `json:"name"`
	In         string `json:"in"` // "path", "query", "header" or "cookie"
	Required   bool   `json:"required"`
	Deprecated bool   `json:"deprecated"`
	HasSchema  bool   `json:"has_schema"`
}

// A BodyReport is an operation's request body.
type BodyReport struct {
	Required   bool          `json:"required"`
	MediaTypes []MediaReport `json:"media_types"` // sorted by type
}

// A MediaReport is one media type of a body or response.
type MediaReport struct {
	Type      string `json:"type"`       // as declared: "application/json"
	HasSchema bool   `json:"has_schema"` // a schema is declared
	// Validated is whether apishield checks the content against the
	// schema: a request body of JSON (or +json) or form type with a
	// schema; a response's when it is JSON with a schema and the
	// contract checks responses.
	Validated bool `json:"validated"`
}

// A ResponseReport is one declared response.
type ResponseReport struct {
	Status     string        `json:"status"`      // "200", "2XX" or "default"
	MediaTypes []MediaReport `json:"media_types"` // empty for a response without a body
}

// Totals counts across the operations of an [Inventory].
type Totals struct {
	Operations  int `json:"operations"`
	Public      int `json:"public"`     // SecurityPublic, or undeclared under UndeclaredPublic
	Undeclared  int `json:"undeclared"` // SecurityUndeclared
	Deprecated  int `json:"deprecated"`
	RateLimited int `json:"rate_limited"`
	OwnerRules  int `json:"owner_rules"`
	Warnings    int `json:"warnings"`
	// ByCode counts the warnings by code.
	ByCode map[string]int `json:"by_code"`
}

// A Warning is one thing in an operation that a reviewer should look at.
type Warning struct {
	Code string `json:"code"` // one of the Warn constants
	// Location is where it is: a JSON pointer in the document
	// ("/paths/~1items/post"), or a schema's file and pointer
	// ("openapi.yaml#/components/schemas/Item").
	Location string `json:"location"`
	Message  string `json:"message"`
}

// The codes of a [Warning]. They are stable: tools may filter on them.
const (
	// WarnOpenObject: a request object schema that neither
	// additionalProperties: false nor unevaluatedProperties: false
	// closes, so a client may send fields nobody reviewed (mass
	// assignment, OWASP API3). An additionalProperties schema closes it.
	WarnOpenObject = "open-object"
	// WarnUnboundedString: a request string without maxLength, enum or
	// const, and without a format whose validation bounds its length
	// (date, uuid, ipv4, ipv6; date-time and time do not, as their
	// fractions of a second have no limit). A pattern does not count.
	WarnUnboundedString = "unbounded-string"
	// WarnUnboundedArray: a request array without maxItems, enum or
	// const.
	WarnUnboundedArray = "unbounded-array"
	// WarnPublicWrite: a POST, PUT, PATCH or DELETE that anyone may call.
	WarnPublicWrite = "public-write"
	// WarnUndeclaredSecurity: an operation whose security neither it nor
	// the document declares; Config.Undeclared decides.
	WarnUndeclaredSecurity = "undeclared-security"
	// WarnNoBodySchema: a JSON or form request body without a schema, so
	// any value of the type is accepted.
	WarnNoBodySchema = "no-body-schema"
	// WarnNoParameterSchema: a parameter without a schema.
	WarnNoParameterSchema = "no-parameter-schema"
	// WarnUnknownMediaType: a request body media type apishield does not
	// decode (not JSON, +json or form), let through unread within the
	// body limit.
	WarnUnknownMediaType = "unknown-media-type"
)

// Findings returns the number of warnings, the count a CI gate fails on.
func (inv *Inventory) Findings() int {
	if inv == nil {
		return 0
	}
	return inv.Totals.Warnings
}

// Inventory reports every operation of the contract. The report is built
// anew on each call; the contract is not changed.
func (c *Contract) Inventory() *Inventory {
	inv := &Inventory{
		Title:      c.doc.title,
		APIVersion: c.doc.apiVer,
		OpenAPI:    c.doc.version,
		Undeclared: undeclaredName(c.cfg.Undeclared),
		Responses:  responsesName(c.cfg.Responses),
		Operations: make([]OperationReport, 0, len(c.doc.ops)),
		Totals:     Totals{ByCode: map[string]int{}},
	}
	for _, op := range c.doc.ops {
		r := c.reportOperation(op)
		t := &inv.Totals
		t.Operations++
		if c.effectivelyPublic(op) {
			t.Public++
		}
		if r.Security.Mode == SecurityUndeclared {
			t.Undeclared++
		}
		if r.Deprecated {
			t.Deprecated++
		}
		if r.RateLimit != "" {
			t.RateLimited++
		}
		if r.Owner != "" {
			t.OwnerRules++
		}
		for _, w := range r.Warnings {
			t.Warnings++
			t.ByCode[w.Code]++
		}
		inv.Operations = append(inv.Operations, r)
	}
	return inv
}

func undeclaredName(u Undeclared) string {
	switch u {
	case UndeclaredAuthenticated:
		return "authenticated"
	case UndeclaredDeny:
		return "deny"
	case UndeclaredPublic:
		return "public"
	}
	return "unknown"
}

func responsesName(r Responses) string {
	switch r {
	case ResponsesOff:
		return "off"
	case ResponsesReport:
		return "report"
	case ResponsesEnforce:
		return "enforce"
	}
	return "unknown"
}

// effectivelyPublic reports whether anyone may call op under the
// contract's Config.
func (c *Contract) effectivelyPublic(op *operation) bool {
	if !op.securityDeclared {
		return c.cfg.Undeclared == UndeclaredPublic
	}
	return op.public()
}

func (c *Contract) reportOperation(op *operation) OperationReport {
	r := OperationReport{
		ID: op.id, Method: op.method, Path: op.path, Summary: op.summary, Pointer: op.pointer,
		Deprecated: op.deprecated, RateLimit: op.rateLimit, Cost: max(op.cost, 1), Owner: op.owner,
		Security:   c.reportSecurity(op),
		Parameters: make([]ParameterReport, 0, len(op.params)),
		Responses:  make([]ResponseReport, 0, len(op.responses)),
	}
	if d := op.deprecation; d != nil {
		r.Deprecation = &DeprecationReport{Since: rfc3339(d.since), Sunset: rfc3339(d.sunset), Docs: d.docs, Successor: d.successor}
	}
	ws := newWarnings()
	if !op.securityDeclared {
		ws.add(WarnUndeclaredSecurity, op.pointer, "no security is declared for the operation or the document; "+
			"Config.Undeclared makes it "+undeclaredMeaning(c.cfg.Undeclared))
	}
	if c.effectivelyPublic(op) && isWrite(op.method) {
		ws.add(WarnPublicWrite, op.pointer, op.method+" is open to anyone: its security lets an unauthenticated caller in")
	}

	for _, p := range op.params {
		r.Parameters = append(r.Parameters, ParameterReport{
			Name: p.name, In: p.in.String(), Required: p.required, Deprecated: p.deprecated, HasSchema: p.schema != nil,
		})
		if p.schema == nil {
			ws.add(WarnNoParameterSchema, op.pointer, "parameter "+p.name+" in "+p.in.String()+" declares no schema")
			continue
		}
		ws.schema(p.schema)
	}

	if op.body != nil {
		b := &BodyReport{Required: op.body.required, MediaTypes: make([]MediaReport, 0, len(op.body.content))}
		for _, mt := range keysInOrder(op.body.content) {
			m := op.body.content[mt]
			kind := mediaKind(mt)
			has := m != nil && m.schema != nil
			b.MediaTypes = append(b.MediaTypes, MediaReport{Type: mt, HasSchema: has, Validated: has && kind != mediaOther})
			switch {
			case kind == mediaOther:
				ws.add(WarnUnknownMediaType, op.pointer+"/requestBody/content/"+escapePointer(mt),
					"request body "+mt+" is not decoded: it is let through unread, bounded only by the body limit")
			case !has:
				ws.add(WarnNoBodySchema, op.pointer+"/requestBody/content/"+escapePointer(mt),
					"request body "+mt+" declares no schema: any "+mt+" value is accepted")
			default:
				ws.schema(m.schema)
			}
		}
		r.Body = b
	}

	checked := c.cfg.Responses != ResponsesOff
	for _, status := range keysInOrder(op.responses) {
		resp := op.responses[status]
		rr := ResponseReport{Status: status, MediaTypes: []MediaReport{}}
		if resp != nil {
			for _, mt := range keysInOrder(resp.content) {
				m := resp.content[mt]
				has := m != nil && m.schema != nil
				rr.MediaTypes = append(rr.MediaTypes, MediaReport{Type: mt, HasSchema: has,
					Validated: checked && has && mediaKind(mt) == mediaJSON})
			}
		}
		r.Responses = append(r.Responses, rr)
	}
	r.Warnings = ws.list()
	return r
}

func (c *Contract) reportSecurity(op *operation) SecurityReport {
	s := SecurityReport{Alternatives: make([][]SchemeReport, 0, len(op.security))}
	switch {
	case !op.securityDeclared:
		s.Mode = SecurityUndeclared
		s.Undeclared = undeclaredName(c.cfg.Undeclared)
	case op.public():
		s.Mode = SecurityPublic
	default:
		s.Mode = SecurityRequired
	}
	for _, req := range op.security {
		alt := make([]SchemeReport, 0, len(req))
		for _, use := range req {
			sr := SchemeReport{Scopes: slices.Clone(use.scopes)}
			if sr.Scopes == nil {
				sr.Scopes = []string{}
			}
			if use.scheme != nil {
				sr.Scheme = use.scheme.name
				sr.Type = schemeType(use.scheme)
			}
			alt = append(alt, sr)
		}
		s.Alternatives = append(s.Alternatives, alt)
	}
	return s
}

func schemeType(s *securityScheme) string {
	switch s.kind {
	case "http":
		return "http " + s.httpScheme
	case "apiKey":
		return "apiKey " + s.in.String() + " " + s.paramName
	}
	return s.kind
}

func undeclaredMeaning(u Undeclared) string {
	switch u {
	case UndeclaredAuthenticated:
		return "require an authenticated caller"
	case UndeclaredDeny:
		return "refuse every request"
	case UndeclaredPublic:
		return "public"
	}
	return "unknown"
}

func isWrite(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// The media types apishield decodes.
const (
	mediaOther = iota
	mediaJSON  // application/json and every +json type
	mediaForm  // application/x-www-form-urlencoded
)

// mediaKind classifies a declared media type or range. A range that
// could stand for anything ("*/*", "application/*") is not decoded.
func mediaKind(mt string) int {
	t, _, err := mime.ParseMediaType(mt)
	if err != nil {
		t = strings.ToLower(strings.TrimSpace(mt))
	}
	switch {
	case t == "application/json" || strings.HasSuffix(t, "+json") && !strings.HasPrefix(t, "*/"):
		return mediaJSON
	case t == "application/x-www-form-urlencoded":
		return mediaForm
	}
	return mediaOther
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// escapePointer escapes a JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func keysInOrder[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}
