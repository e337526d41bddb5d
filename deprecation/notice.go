package deprecation

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	apierrors "github.com/apishield/apishield/errors"
)

// A Notice is the deprecation that applies to a request, with its header
// values built once at New. It is read-only and safe for concurrent use.
type Notice struct {
	// Rule is the Config key that matched: the route key (blanks folded)
	// or the prefix, as cleaned by New ("/v1").
	Rule string
	// Deprecated, Sunset, Docs and Successor are the Policy's, with the
	// times truncated to whole seconds as the headers send them.
	Deprecated, Sunset time.Time
	Docs, Successor    string

	// Header values; each slice's capacity is its length, so a later
	// Header.Add copies instead of writing into them.
	deprecation []string
	sunset      []string
	link        []string
	gone        *apierrors.Problem
}

// newNotice checks p and builds its header values.
func newNotice(rule string, p Policy) (*Notice, error) {
	if p.Deprecated.IsZero() {
		return nil, errors.New("the Deprecated date is required")
	}
	dep := p.Deprecated.Truncate(time.Second)
	if y := dep.UTC().Year(); y < 1 || y > 9999 {
		return nil, errors.New("the Deprecated date is outside the years 1 to 9999")
	}
	n := &Notice{Rule: rule, Deprecated: dep, Docs: p.Docs, Successor: p.Successor, link: make([]string, 0, 2)}
	// RFC 9745 §2.1: a Structured Field Date, "@" and Unix seconds.
	n.deprecation = []string{"@" + strconv.FormatInt(dep.Unix(), 10)}
	if !p.Sunset.IsZero() {
		sun := p.Sunset.Truncate(time.Second)
		if y := sun.UTC().Year(); y < 1 || y > 9999 {
			return nil, errors.New("the Sunset date is outside the years 1 to 9999")
		}
		// RFC 9745 §4: the Sunset "MUST NOT be earlier" than the Deprecation.
		if sun.Before(dep) {
			return nil, errors.New("the Sunset date is before the Deprecated date")
		}
		n.Sunset = sun
		n.sunset = []string{sun.UTC().Format(http.TimeFormat)} // IMF-fixdate
	}
	if p.Docs != "" {
		if err := checkLinkTarget(p.Docs); err != nil {
			return nil, fmt.Errorf("the Docs link: %v", err)
		}
		n.link = append(n.link, "<"+p.Docs+`>; rel="deprecation"`)
	}
	if p.Successor != "" {
		if err := checkLinkTarget(p.Successor); err != nil {
			return nil, fmt.Errorf("the Successor link: %v", err)
		}
		n.link = append(n.link, "<"+p.Successor+`>; rel="successor-version"`)
	}
	if len(n.link) == 0 {
		n.link = nil
	}
	n.link = n.link[:len(n.link):len(n.link)]

	detail := "This API was retired on " + n.Sunset.UTC().Format(time.DateOnly) + "."
	if p.Successor != "" {
		detail += " Its successor is in the Link header (rel=\"successor-version\")."
	}
	n.gone = apierrors.New(http.StatusGone, apierrors.ReasonGone, detail).WithCause(ErrGone)
	n.gone.Header = make(http.Header, 3)
	n.SetHeaders(n.gone.Header)
	return n, nil
}

// GoneAt reports whether the route is past its sunset at t: whether a
// sunset is set and t is at or after it.
func (n *Notice) GoneAt(t time.Time) bool {
	return !n.Sunset.IsZero() && !t.Before(n.Sunset)
}

// SetHeaders sets the notice's Deprecation and Sunset headers in h and adds
// its Link values after any Link already there. It allocates only when h
// already holds a Link.
func (n *Notice) SetHeaders(h http.Header) {
	h["Deprecation"] = n.deprecation
	if n.sunset != nil {
		h["Sunset"] = n.sunset
	}
	if len(n.link) == 0 {
		return
	}
	if old := h["Link"]; len(old) > 0 {
		h["Link"] = append(old[:len(old):len(old)], n.link...)
		return
	}
	h["Link"] = n.link
}
