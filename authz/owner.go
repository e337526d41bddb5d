package authz

import (
	"errors"
	"github.com/apishield/apishield/internal/jsonpointer"
	"net/http"

	"github.com/apishield/apishield/auth"
	apierrors "github.com/apishield/apishield/errors"
)

// An OwnerFunc returns the owner of the object a request addresses, usually
// by reading a path value the router's way (r.PathValue("id"),
// chi.URLParam(r, "id"), mux.Vars(r)["id"]) and looking the object up; the
// policy makes the value readable even when it runs before the router (see
// the package documentation).
//
// For an object that does not exist it returns [ErrNotFound], or a
// *apierrors.Problem with status 404 (whose detail is not sent: see
// [OwnerRule]). It returns ErrDenied to refuse with 403 forbidden; another
// *apierrors.Problem to send that problem; any other error to fail closed
// with a 500 whose cause is logged, never sent.
type OwnerFunc func(r *http.Request) (owner string, err error)

// An OwnerRule is an object-level check (OWASP API1, broken object level
// authorization): the addressed object's owner must be the caller.
//
// It answers an object that is someone else's and an object that does not
// exist with the same 404 not_found problem, so a caller cannot learn which
// IDs exist by probing them. The request record, and so the audit log,
// tells them apart: someone else's object is a denial (audit's authz_fail,
// the mark of IDOR probing), a missing one has outcome not_found (audit's
// not_found event), so that alerts on authz_fail are not set off by stale
// links and typos.
type OwnerRule struct {
	resolve OwnerFunc
	claim   jsonpointer.Pointer // compare with this claim instead of the subject
	name    string
	denied  *verdict // someone else's object
	missing *verdict // no object
	err     error
}

// ownerVerdicts are a rule's two refusals, built once so that refusing
// allocates nothing.
func ownerVerdicts(name string) (denied, missing *verdict) {
	return &verdict{deny: problemNotFound, rule: name}, &verdict{deny: problemNotFound, rule: name, notFound: true}
}

// objectMissing reports whether a resolver's error says the object does
// not exist.
func objectMissing(err error) bool {
	var p *apierrors.Problem
	return errors.Is(err, ErrNotFound) || errors.As(err, &p) && p.Status == http.StatusNotFound
}

// Owner returns a rule that resolves the owner of the addressed object with
// resolve and passes when it equals the principal's Subject. An empty owner
// or an empty subject never matches.
//
// When the handler loads the object anyway, checking there with
// [CheckOwner] saves the second look-up.
func Owner(resolve OwnerFunc) *OwnerRule {
	o := &OwnerRule{resolve: resolve, name: "owner"}
	o.denied, o.missing = ownerVerdicts(o.name)
	if resolve == nil {
		o.err = invalidRule(o.name, "Owner needs a resolver").check()
	}
	return o
}

// ByClaim returns a copy of the rule that compares the owner with the claim
// at the JSON Pointer instead of the subject: objects owned by a tenant or an
// organisation, e.g. ByClaim("/tenant_id").
func (o *OwnerRule) ByClaim(pointer string) *OwnerRule {
	c := *o
	c.name = "owner(" + pointer + ")"
	c.denied, c.missing = ownerVerdicts(c.name)
	ptr, err := jsonpointer.Parse(pointer)
	if err != nil {
		c.err = invalidRule(c.name, "%v", err).check()
		return &c
	}
	c.claim = ptr
	return &c
}

// String returns the rule's name: "owner", or "owner(/claim)".
func (o *OwnerRule) String() string { return o.name }

func (o *OwnerRule) check() error { return o.err }

func (o *OwnerRule) eval(r *http.Request, p *auth.Principal, pv pathValues) *verdict {
	if o.err != nil {
		return &verdict{deny: problemInternal.WithCause(o.err), rule: o.name}
	}
	l := pv.fill(r)
	owner, err := o.resolve(r)
	pv.restore(l)
	if err != nil {
		if objectMissing(err) {
			return o.missing
		}
		return fromError(o.name, err)
	}
	if owner != "" && owner == o.subject(p) {
		return nil
	}
	return o.denied
}

// subject returns what the owner is compared with.
func (o *OwnerRule) subject(p *auth.Principal) string {
	if o.claim == nil {
		return p.Subject
	}
	v, ok := o.claim.Lookup(p.Claims)
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}

// Tenant returns a rule that binds a path value to a claim: the request's
// path value name (the "tid" of "/tenants/{tid}/items") must equal the
// string claim at the JSON Pointer, or be one of the strings of an array
// claim. It fails with 403 forbidden; an empty path value never matches.
//
// The path value comes from the router: r.PathValue (ServeMux, chi), the
// pattern the policy matched when it runs before the router, or the
// policy's PathValue function (gorilla/mux: mux.Vars; chi.URLParam works
// too).
func Tenant(name, pointer string) Rule {
	rn := "tenant(" + name + "=" + pointer + ")"
	if name == "" {
		return invalidRule(rn, "Tenant needs a path value name")
	}
	ptr, err := jsonpointer.Parse(pointer)
	if err != nil {
		return invalidRule(rn, "%v", err)
	}
	return &tenantRule{param: name, ptr: ptr, name: rn, denied: &verdict{deny: problemForbidden, rule: rn}}
}

type tenantRule struct {
	param  string
	ptr    jsonpointer.Pointer
	name   string
	denied *verdict
}

func (t *tenantRule) String() string { return t.name }
func (t *tenantRule) check() error   { return nil }

func (t *tenantRule) eval(r *http.Request, p *auth.Principal, pv pathValues) *verdict {
	want := pv.get(r, t.param)
	if want != "" {
		if v, ok := t.ptr.Lookup(p.Claims); ok {
			switch x := v.(type) {
			case string:
				if x == want {
					return nil
				}
			case []any:
				for _, e := range x {
					if s, ok := e.(string); ok && s == want {
						return nil
					}
				}
			case []string:
				for _, s := range x {
					if s == want {
						return nil
					}
				}
			}
		}
	}
	return t.denied
}
