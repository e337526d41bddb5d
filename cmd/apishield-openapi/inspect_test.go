package main

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestExtensionNames(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"openapi.yaml": {Data: []byte(`
openapi: 3.1.0
paths:
  /items:
    get:
      x-apishield-rate-limit: per-user
      x-apishield-owner: item-owner
    post:
      x-apishield-rate-limit: per-user
      x-apishield-cost: 3
  /remote:
    $ref: 'https://example.com/paths.yaml#/remote'
  /outside:
    $ref: '../outside.yaml'
  /files:
    $ref: 'paths/files.yaml'
  /again:
    $ref: 'paths/files.yaml#/again'
  /self:
    $ref: '#/components/pathItems/self'
`)},
		"paths/files.yaml": {Data: []byte(`
get:
  x-apishield-rate-limit: per-ip
  requestBody:
    $ref: '../bodies/my%20body.json#/b'
again:
  get:
    x-apishield-owner: tenant
`)},
		"bodies/my body.json": {Data: []byte(`{"b": {"x-apishield-owner": "deep"}, "n": {"x-apishield-rate-limit": 7}}`)},
	}
	limiters, rules := extensionNames(fsys, "openapi.yaml")
	if want := []string{"per-ip", "per-user"}; !slices.Equal(limiters, want) {
		t.Errorf("limiters: got %q, want %q", limiters, want)
	}
	if want := []string{"deep", "item-owner", "tenant"}; !slices.Equal(rules, want) {
		t.Errorf("rules: got %q, want %q", rules, want)
	}
}

func TestExtensionNamesBadFiles(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"openapi.yaml": {Data: []byte("paths:\n  /a:\n    $ref: broken.yaml\n  /b:\n    $ref: missing.yaml\n  /c:\n    $ref: big.yaml\n  /d:\n    get: {x-apishield-owner: ok}\n")},
		"broken.yaml":  {Data: []byte("get: [unclosed\n  x-apishield-owner: no")},
		"big.yaml":     {Data: []byte("x-apishield-owner: huge\n" + strings.Repeat("#", maxFileBytes))},
	}
	// The unreadable files are skipped, for the loader to report.
	limiters, rules := extensionNames(fsys, "openapi.yaml")
	if len(limiters) != 0 || !slices.Equal(rules, []string{"ok"}) {
		t.Errorf("got %q, %q", limiters, rules)
	}
	if l, r := extensionNames(fsys, "nothing.yaml"); l != nil || r != nil {
		t.Errorf("a missing document: got %q, %q", l, r)
	}
}

func TestRefFile(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file, ref, want string
	}{
		{"openapi.yaml", "paths.yaml", "paths.yaml"},
		{"openapi.yaml", "./paths.yaml#/a", "paths.yaml"},
		{"api/openapi.yaml", "common/x.yaml#/a", "api/common/x.yaml"},
		{"api/paths/a.yaml", "../x.yaml", "api/x.yaml"},
		{"openapi.yaml", "a%20b.yaml", "a b.yaml"},
		{"openapi.yaml", "#/components", ""},
		{"openapi.yaml", "../x.yaml", ""},
		{"openapi.yaml", "/etc/x.yaml", ""},
		{"openapi.yaml", "https://example.com/x.yaml", ""},
		{"openapi.yaml", "file:x.yaml", ""},
	} {
		got, ok := refFile(c.file, c.ref)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("refFile(%q, %q) = %q, %v; want %q", c.file, c.ref, got, ok, c.want)
		}
	}
}

func TestInspectionConfigPlaceholders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "openapi.yaml", "paths:\n  /a:\n    get:\n      x-apishield-rate-limit: per-user\n      x-apishield-owner: mine\n")
	cfg, err := inspectionConfig(dir + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.RateLimiters) != 1 || cfg.RateLimiters["per-user"] == nil || len(cfg.Rules) != 1 || cfg.Rules["mine"] == nil {
		t.Errorf("got limiters %v, rules %v", cfg.RateLimiters, cfg.Rules)
	}
	if cfg.DeprecatedSince.IsZero() {
		t.Error("DeprecatedSince is zero: a deprecated operation without a date would not load")
	}
	// A document that names none gets none: the loader refuses limiters
	// nobody uses.
	writeFile(t, dir, "plain.yaml", "paths: {}\n")
	cfg, err = inspectionConfig(dir + "/plain.yaml")
	if err != nil || cfg.RateLimiters != nil || cfg.Rules != nil {
		t.Errorf("got %v, %v, %v", cfg.RateLimiters, cfg.Rules, err)
	}
}
