package record

import (
	"net/http/httptest"
	"testing"
)

func TestAuthenticated(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		p    Principal
		want bool
	}{
		{"zero", Principal{}, false},
		{"subject", Principal{Subject: "alice"}, true},
		{"method only", Principal{Method: "mtls"}, true},
		{"client only", Principal{ClientID: "c"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, rec := Install(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			if got := rec.Authenticated(); got {
				t.Fatalf("Authenticated() before SetPrincipal = true, want false")
			}
			rec.SetPrincipal(tt.p)
			if got := rec.Authenticated(); got != tt.want {
				t.Errorf("Authenticated() = %v, want %v", got, tt.want)
			}
			if got, want := rec.Authenticated(), rec.Principal() != (Principal{}); got != want {
				t.Errorf("Authenticated() = %v, Principal() != zero is %v", got, want)
			}
		})
	}
}
