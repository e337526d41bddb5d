package openapi_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// kin-openapi is the reference the differential tests and benchmarks
// compare against: the most used OpenAPI request validator in Go. It is a
// test-only dependency.

// A kinValidator is kin-openapi's router and request validator for one
// document.
type kinValidator struct {
	router routers.Router
	opts   *openapi3filter.Options
}

// newKin loads a single-file document held in memory with kin-openapi.
func newKin(data []byte) (*kinValidator, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("kin-openapi: loading: %w", err)
	}
	return newKinDoc(doc)
}

// newKinFS loads the document root of fsys, with the files it references,
// with kin-openapi.
func newKinFS(fsys fs.FS, root string) (*kinValidator, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	l.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" || u.Host != "" {
			return nil, fmt.Errorf("remote reference %s", u)
		}
		return fs.ReadFile(fsys, strings.TrimPrefix(path.Clean(u.Path), "/"))
	}
	doc, err := l.LoadFromURI(&url.URL{Path: root})
	if err != nil {
		return nil, fmt.Errorf("kin-openapi: loading: %w", err)
	}
	return newKinDoc(doc)
}

func newKinDoc(doc *openapi3.T) (*kinValidator, error) {
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("kin-openapi: router: %w", err)
	}
	return &kinValidator{router: r, opts: &openapi3filter.Options{
		// Security is compared separately: every credential passes here.
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		ExcludeRequestBody: false,
		MultiError:         false,
	}}, nil
}

// check routes and validates one request as kin-openapi's middleware
// does; nil means kin-openapi accepts it.
func (k *kinValidator) check(r *http.Request) error {
	route, params, err := k.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("route: %w", err)
	}
	return openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options:    k.opts,
	})
}
