package limits

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"

	apierrors "github.com/apishield/apishield/errors"
)

// TestDenyReason: every reason of the registry counts under its own set,
// and a reason outside it under malformed_request, so the attribute stays
// bounded.
func TestDenyReason(t *testing.T) {
	t.Parallel()
	reasonOf := func(i int) string {
		for _, kv := range decisionSets[i].KeyValues() {
			if kv.Key == attribute.Key("reason") {
				return kv.Value.AsString()
			}
		}
		return ""
	}
	for _, ri := range apierrors.Reasons() {
		if got := reasonOf(denyReason(ri.Reason)); got != ri.Reason {
			t.Errorf("denyReason(%q) counts under reason %q", ri.Reason, got)
		}
	}
	if got := reasonOf(denyReason("made_up")); got != apierrors.ReasonMalformedRequest {
		t.Errorf("denyReason(made_up) counts under reason %q, want %q", got, apierrors.ReasonMalformedRequest)
	}
	if got := reasonOf(allowIndex); got != "ok" {
		t.Errorf("the allow set's reason is %q, want ok", got)
	}
}
