package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/apishield/apishield/auth"
	"github.com/apishield/apishield/authz"
	"github.com/apishield/apishield/openapi"
	"github.com/apishield/apishield/ratelimit"
)

// The bounds of the first pass, which reads the same files as the loader:
// the loader's default size per file, and a number of files no real
// document reaches.
const (
	maxFileBytes = 32 << 20
	maxFiles     = 10_000
)

// The extensions whose values name Config entries.
const (
	extRateLimit = "x-apishield-rate-limit"
	extOwner     = "x-apishield-owner"
)

// errInspectionOnly is what a placeholder rule answers; the command never
// serves a request, so nobody sees it.
var errInspectionOnly = errors.New("apishield-openapi: a placeholder for inspection only")

// inspectionConfig returns the Config to load the document at file for
// inspection: a placeholder limiter and rule under every name its
// extensions use, and a deprecation date so that "deprecated: true" alone
// loads. The loader does not put the date in the model, so the report
// does not show it.
func inspectionConfig(file string) (openapi.Config, error) {
	dir, name := filepath.Split(filepath.Clean(file))
	if dir == "" {
		dir = "."
	}
	limiters, rules := extensionNames(os.DirFS(dir), name)
	cfg := openapi.Config{DeprecatedSince: time.Unix(0, 0).UTC()}
	if len(limiters) > 0 {
		store, err := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{})
		if err != nil {
			return cfg, fmt.Errorf("a placeholder rate limiter: %w", err)
		}
		cfg.RateLimiters = make(map[string]*ratelimit.Limiter, len(limiters))
		for _, n := range limiters {
			l, err := ratelimit.New(ratelimit.Config{
				Name:     "inspection",
				Store:    store,
				Policies: []ratelimit.Policy{{Name: "inspection", Limit: 1, Period: time.Second}},
				Key:      func(dst []byte, _ *http.Request) ([]byte, error) { return dst, nil },
				Shadow:   true,
			})
			if err != nil {
				return cfg, fmt.Errorf("a placeholder rate limiter: %w", err)
			}
			cfg.RateLimiters[n] = l
		}
	}
	if len(rules) > 0 {
		cfg.Rules = make(map[string]authz.Rule, len(rules))
		for _, n := range rules {
			cfg.Rules[n] = authz.Func("inspection:"+n, func(*http.Request, *auth.Principal) error {
				return errInspectionOnly
			})
		}
	}
	return cfg, nil
}

// extensionNames returns, sorted and once each, the string values of the
// x-apishield-rate-limit and x-apishield-owner keys in the file name of
// fsys and in every file it references by a relative $ref, wherever they
// are: the loader checks where they may be. A file that cannot be read or
// decoded is skipped: the loader reports it, with its location.
func extensionNames(fsys fs.FS, name string) (limiters, rules []string) {
	queued := map[string]bool{name: true}
	files := []string{name}
	for len(files) > 0 && len(queued) <= maxFiles {
		file := files[0]
		files = files[1:]
		v, err := readValue(fsys, file)
		if err != nil {
			continue
		}
		// An explicit stack: a deeply nested document must not exhaust
		// the goroutine's.
		stack := []any{v}
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					s, isString := x.(string)
					switch {
					case !isString:
						stack = append(stack, x)
					case k == extRateLimit:
						limiters = append(limiters, s)
					case k == extOwner:
						rules = append(rules, s)
					case k == "$ref":
						if ref, ok := refFile(file, s); ok && !queued[ref] {
							queued[ref] = true
							files = append(files, ref)
						}
					}
				}
			case map[any]any:
				for _, x := range v {
					stack = append(stack, x)
				}
			case []any:
				stack = append(stack, v...)
			}
		}
	}
	slices.Sort(limiters)
	slices.Sort(rules)
	return slices.Compact(limiters), slices.Compact(rules)
}

// readValue reads and decodes one YAML or JSON file, at most
// maxFileBytes of it.
func readValue(fsys fs.FS, name string) (any, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, errors.New("too large")
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// refFile returns the file a $ref in file points to, as a name in the
// document's fs.FS, or false for a reference within file, a remote one
// or one that leaves the directory.
func refFile(file, ref string) (string, bool) {
	target, _, _ := strings.Cut(ref, "#")
	if t, err := url.PathUnescape(target); err == nil {
		target = t
	}
	if target == "" || strings.Contains(target, ":") || strings.HasPrefix(target, "/") {
		return "", false
	}
	name := path.Join(path.Dir(file), target)
	if !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}
