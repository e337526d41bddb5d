package auth

import "testing"

// TestRefusalRule: the constant rules of refusals without credentials are
// what the general form makes, for every kind.
func TestRefusalRule(t *testing.T) {
	for kind := CredentialKind(0); kind <= kindDPoP+1; kind++ {
		for _, check := range []string{"no_credentials", "expired", ""} {
			if got, want := refusalRule(kind, check), kind.String()+":"+check; got != want {
				t.Errorf("refusalRule(%v, %q) = %q, want %q", kind, check, got, want)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = refusalRule(APIKey, "no_credentials") }); n != 0 {
		t.Errorf("a refusal without credentials allocates its rule %v times", n)
	}
}
