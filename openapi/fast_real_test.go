package openapi_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/apishield/apishield/internal/schemacheck"
	"github.com/apishield/apishield/internal/schemacheck/schemagen"
	"github.com/apishield/apishield/openapi"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestFastPathRealDocuments holds the promise of schemacheck's fast path
// (when it says valid, jsonschema v6 agrees) on every schema of the real
// documents: against the generated requests' JSON bodies and mutations of
// them, and against values generated from each schema and their
// mutations. It reports, and bounds from below, how many of the valid
// generated bodies the fast path decides.
func TestFastPathRealDocuments(t *testing.T) {
	t.Parallel()
	lim, err := schemacheck.CheckLimits(schemacheck.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rd := range realDocs {
		t.Run(rd.name, func(t *testing.T) {
			g := generate(t, rd.name)
			c, err := g.doc.contract(publicConfig)
			if err != nil {
				t.Fatal(err)
			}
			bodies, all := openapi.ContractSchemas(c)
			rng := rand.New(rand.NewPCG(15, uint64(len(rd.name))))
			var checked, validBodies, decided int
			check := func(s *jsonschema.Schema, v any) bool {
				checked++
				if !schemacheck.FastValid(s, v) {
					return false
				}
				if err := s.Validate(v); err != nil {
					b, _ := json.Marshal(v)
					t.Fatalf("the fast path accepts %s against %s; jsonschema refuses it: %v", b, s.Location, err)
				}
				return true
			}
			for _, cs := range g.cases {
				if cs.Body == nil || len(bodies[cs.Op]) == 0 || schemacheck.NewScanner(lim, nil).Scan(cs.Body) != nil {
					continue
				}
				v := schemacheck.DecodeScanned(cs.Body, nil)
				for _, s := range bodies[cs.Op] {
					fast := check(s, v)
					if cs.Valid() && s.Validate(v) == nil {
						validBodies++
						if fast {
							decided++
						}
					}
					m := v
					for range 8 {
						m = schemagen.Mutate(m, rng)
						check(s, m)
					}
				}
			}
			var validValues, decidedValues int
			for _, s := range all {
				for range 5 {
					v := schemagen.Value(s, rng)
					if fast := check(s, v); s.Validate(v) == nil {
						validValues++
						if fast {
							decidedValues++
						}
					}
					for range 6 {
						v = schemagen.Mutate(v, rng)
						check(s, v)
					}
				}
			}
			t.Logf("%d schemas, %d checks; the fast path decides %d of %d valid generated bodies, %d of %d valid values generated from the schemas",
				len(all), checked, decided, validBodies, decidedValues, validValues)
			if decided < validBodies*3/4 {
				t.Errorf("the fast path decides %d of %d valid bodies, want at least three quarters", decided, validBodies)
			}
		})
	}
}
