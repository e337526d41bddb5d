package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// The constructor rule, stated in the README: every public package whose
// New takes a Config and returns an error also has MustNew(Config), which
// panics instead, for start-up code; no other Must function exists.
// Constructors that do I/O or take a context (auth.NewJWT,
// tlsconfig.NewReloader) and secondary constructors return their error
// only.
func TestMustNewRule(t *testing.T) {
	pkgs := publicPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("found %d public packages; the walk is broken", len(pkgs))
	}
	checked := 0
	for dir, funcs := range pkgs {
		for name := range funcs {
			if strings.HasPrefix(name, "Must") && name != "MustNew" {
				t.Errorf("%s: %s: the only Must function the rule allows is MustNew", dir, name)
			}
		}
		newFn, hasNew := funcs["New"]
		mustFn, hasMust := funcs["MustNew"]
		takesConfig := hasNew && takesOnlyConfig(newFn) && returnsError(newFn)
		switch {
		case takesConfig && !hasMust:
			t.Errorf("%s: New(Config) returns an error but the package has no MustNew", dir)
		case !takesConfig && hasMust:
			t.Errorf("%s: MustNew without a New(Config) that returns an error", dir)
		case takesConfig:
			checked++
			if !takesOnlyConfig(mustFn) || returnsError(mustFn) {
				t.Errorf("%s: MustNew must take the Config New takes and return no error", dir)
			}
			if !strings.Contains(mustFn.Doc.Text(), "panics") {
				t.Errorf("%s: MustNew's doc must say that it panics", dir)
			}
			if a, b := exprString(newFn.Type.Results.List[0].Type), exprString(mustFn.Type.Results.List[0].Type); a != b {
				t.Errorf("%s: MustNew returns %s, New returns %s", dir, b, a)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d packages have New(Config); expected every middleware package", checked)
	}
}

// publicPackages parses the non-test files of every package a user can
// import (not internal, not an example, not testdata) and returns their
// exported top-level functions by directory.
func publicPackages(t *testing.T) map[string]map[string]*ast.FuncDecl {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]*ast.FuncDecl{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root { // the checkout's own name may be one of these
				return nil
			}
			switch d.Name() {
			case "internal", "examples", "testdata", "node_modules", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() {
				continue
			}
			if out[rel] == nil {
				out[rel] = map[string]*ast.FuncDecl{}
			}
			out[rel][fn.Name.Name] = fn
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func takesOnlyConfig(fn *ast.FuncDecl) bool {
	ps := fn.Type.Params.List
	return len(ps) == 1 && len(ps[0].Names) <= 1 && exprString(ps[0].Type) == "Config"
}

func returnsError(fn *ast.FuncDecl) bool {
	rs := fn.Type.Results
	return rs != nil && len(rs.List) == 2 && exprString(rs.List[1].Type) == "error"
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return "?"
}
