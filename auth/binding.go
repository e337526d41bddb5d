package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// Sender-constrained tokens (RFC 7800's cnf claim) are bound to a key the
// client must prove it holds: DPoP's cnf.jkt (RFC 9449) or a mutual-TLS
// certificate's cnf["x5t#S256"] (RFC 8705). Accepting such a token as a
// plain bearer token would throw away the one property the binding exists
// for (a stolen token is useless without the key), so a token is accepted
// only when every member of its cnf is one auth verifies, and verified:
//
//   - jkt, with JWTConfig.DPoP enabled and a valid proof of that key in the
//     request, sent with the DPoP scheme;
//   - x5t#S256, with JWTConfig.CertificateBinding enabled and that
//     certificate on the connection (or forwarded by a trusted proxy).
//
// Anything else — cnf without those, another member (jwk, kid, x5t),
// a binding the authenticator is not configured for, or any cnf where no
// request is known ([JWT.Verify]) — is refused as invalid_token with the
// check "unverified_binding".
//
// The proof is per request, so it is checked by the middleware, which has
// the request, after the authenticator returned the principal; a
// verified-token cache hit is checked the same way.

// Binding names recorded in Principal.Binding.
const (
	BindingDPoP = "dpop"
	BindingMTLS = "mtls"
)

// errUnverifiedBinding refuses a sender-constrained token.
var errUnverifiedBinding = invalid("unverified_binding")

// checkConfirmation refuses claims that bind the token to a key (cnf), for
// callers that cannot check a binding.
func checkConfirmation(claims map[string]any) error {
	if _, bound := claims["cnf"]; bound {
		return errUnverifiedBinding
	}
	return nil
}

// isDPoPScheme reports whether an Authorization scheme is DPoP (RFC 9449
// §7.1), compared case-insensitively like every auth scheme.
func isDPoPScheme(scheme string) bool {
	return len(scheme) == 4 && (scheme[0]|0x20) == 'd' && (scheme[1]|0x20) == 'p' && (scheme[2]|0x20) == 'o' && (scheme[3]|0x20) == 'p'
}

// A binder is an [Authenticator] whose principals may carry cnf: the
// middleware checks their binding against the request. An authenticator
// without this method keeps the strict rule (every cnf refused). The
// introspection authenticator opts in by implementing it.
type binder interface {
	// authenticateBound is Authenticate without the refusal of cnf, with
	// the binding policy the principal must be checked against (nil: none
	// configured, so every cnf is refused).
	authenticateBound(ctx context.Context, credential string) (*Principal, *binding, error)
}

// A binding is an authenticator's policy for sender-constrained tokens.
type binding struct {
	dpop *dpopVerifier // nil: DPoP disabled
	cert *certBinder   // nil: certificate binding disabled
}

// newBinding validates both configs; nil means neither is enabled.
func newBinding(d DPoPConfig, c CertificateBindingConfig) (*binding, error) {
	dv, err := newDPoP(d)
	if err != nil {
		return nil, err
	}
	cb, err := newCertBinder(c)
	if err != nil {
		return nil, err
	}
	if dv == nil && cb == nil {
		return nil, nil
	}
	return &binding{dpop: dv, cert: cb}, nil
}

// confirmation reads cnf: the DPoP thumbprint and the certificate
// thumbprint. ok is false when cnf is present but not an object of string
// jkt and x5t#S256 members only.
func confirmation(claims map[string]any) (jkt, x5t string, present, ok bool) {
	v, present := claims["cnf"]
	if !present {
		return "", "", false, true
	}
	cnf, isObj := v.(map[string]any)
	if !isObj || len(cnf) == 0 {
		return "", "", true, false
	}
	for k, m := range cnf {
		s, isStr := m.(string)
		if !isStr || s == "" {
			return "", "", true, false
		}
		switch k {
		case "jkt":
			jkt = s
		case "x5t#S256":
			x5t = s
		default:
			return "", "", true, false
		}
	}
	return jkt, x5t, true, true
}

// bindingFor is the binding name a principal with these thumbprints gets.
func bindingFor(jkt, x5t string) string {
	switch {
	case jkt != "":
		return BindingDPoP
	case x5t != "":
		return BindingMTLS
	}
	return ""
}

// check verifies p's binding for a request whose credential token came with
// the DPoP scheme (dpop) or another (Bearer, a cookie). b may be nil (no
// policy). It returns the binding's name for Principal.Binding, and the
// DPoP-Nonce to send, if any (with a use_dpop_nonce refusal too). No
// downgrade: a DPoP-bound token is refused without its proof and its
// scheme, and the DPoP scheme is refused for a token that is not
// DPoP-bound. ctx is the request's, with its record, for the replay cache.
func (b *binding) check(ctx context.Context, r *http.Request, p *Principal, dpop bool, token string) (name, nonce string, err error) {
	jkt, x5t, present, ok := confirmation(p.Claims)
	if present && !ok {
		return "", "", errUnverifiedBinding
	}
	nonce, err = b.checkBound(ctx, r, jkt, x5t, dpop, token)
	if err != nil {
		return "", nonce, err
	}
	return bindingFor(jkt, x5t), nonce, nil
}

func (b *binding) checkBound(ctx context.Context, r *http.Request, jkt, x5t string, dpop bool, token string) (nonce string, err error) {
	var dv *dpopVerifier
	var cb *certBinder
	if b != nil {
		dv, cb = b.dpop, b.cert
	}
	switch {
	case dv == nil && dpop:
		return "", errDPoPUnsupported
	case dv == nil && jkt != "":
		return "", errUnverifiedBinding
	case dpop && jkt == "":
		return "", errDPoPUnbound
	case !dpop && jkt != "":
		return "", errDPoPAsBearer
	case !dpop && dv != nil && dv.mode == DPoPRequired:
		return "", errDPoPRequired
	}
	if x5t != "" {
		if cb == nil {
			return "", errUnverifiedBinding
		}
		if err := cb.check(r, x5t); err != nil {
			return "", err
		}
	}
	if dpop {
		return dv.verify(ctx, r, token, jkt)
	}
	return "", nil
}

// The refusals of a token presented with the wrong scheme for its binding.
var (
	errDPoPUnsupported = invalid("dpop_unsupported")
	errDPoPUnbound     = invalid("dpop_unbound_token")
	errDPoPAsBearer    = invalid("dpop_bound_as_bearer")
	errDPoPRequired    = invalid("dpop_required")
)

// dpopChallenge reports, for the middleware's challenges, whether the
// policy takes Bearer tokens and which DPoP algorithms it takes.
func (b *binding) dpopChallenge() (bearer bool, algs string) {
	if b == nil || b.dpop == nil {
		return true, ""
	}
	return b.dpop.mode != DPoPRequired, b.dpop.algsNames
}

func (j *JWT) dpopChallenge() (bearer bool, algs string) { return j.binding.dpopChallenge() }

// dpopChallenge is the union over the issuers: Bearer if one takes it, and
// every DPoP algorithm one takes.
func (is *Issuers) dpopChallenge() (bearer bool, algs string) {
	var names []string
	for _, j := range is.byIssuer {
		b, a := j.dpopChallenge()
		bearer = bearer || b
		for _, n := range strings.Fields(a) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return bearer, strings.Join(names, " ")
}
