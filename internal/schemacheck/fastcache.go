package schemacheck

import (
	"runtime"
	"sync"
	"weak"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// fastCache holds the fast path of every schema [Validate] has seen,
// compiled on first use. Its keys are weak, and an entry leaves when its
// schema is collected, so a reloaded contract does not pin its old
// schemas; a weak pointer is never equal to one made for another schema,
// even one later allocated at the same address.
var fastCache sync.Map // weak.Pointer[jsonschema.Schema] → *fastNode

// fastFor returns the fast path of s.
func fastFor(s *jsonschema.Schema) *fastNode {
	wp := weak.Make(s)
	if n, ok := fastCache.Load(wp); ok {
		return n.(*fastNode)
	}
	n, loaded := fastCache.LoadOrStore(wp, compileFast(s))
	if !loaded {
		runtime.AddCleanup(s, func(wp weak.Pointer[jsonschema.Schema]) { fastCache.Delete(wp) }, wp)
	}
	return n.(*fastNode)
}

// FastValid reports whether the fast path proves v valid against s
// without the schema library: true means the library would accept v,
// false means it would refuse it or the fast path does not know. It is
// for the differential tests of packages that compile schemas
// (validate, openapi); [Validate] uses the same path.
func FastValid(s *jsonschema.Schema, v any) bool {
	return fastFor(s).valid(v, 0)
}
