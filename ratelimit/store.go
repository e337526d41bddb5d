package ratelimit

import (
	"context"
	"fmt"
)

// A Store keeps GCRA state and decides admissions. [NewMemoryStore] keeps it
// in the process; the redisstore package shares it between instances
// through Redis.
//
// Take decides req.Cost for req.Key under every policy in req.Policies at
// once and fills d: either all policies admit the cost and all of them
// consume it, or none consumes anything. It returns an error only when it
// could not decide; the limiter then applies its [FailureMode]. The one
// exception is an error wrapping [ErrStoreFull], for a new key the store
// has no room to count: the limiter refuses the request whatever its
// failure mode, with d.RetryAfter as the wait.
//
// A Store must be safe for concurrent use, must keep the state of
// different namespaces apart, and must not retain req or d once Take
// returns: the limiter reuses them. [Decision.Decide] decides on a key's
// state with the memory store's arithmetic.
type Store interface {
	Take(ctx context.Context, req *Request, d *Decision) error
}

// A Request is what a [Limiter] asks its [Store] to decide. Stores must not
// retain it or modify it.
type Request struct {
	// Namespace is the limiter's name, so that limiters sharing a store keep
	// their own state.
	Namespace string
	// Key identifies the client, such as an address bucket or a subject.
	Key string
	// Cost is the number of units asked for, >= 0; 0 asks without spending.
	Cost int
	// Policies are the limiter's validated policies, at most MaxPolicies.
	Policies []Policy
}

// check refuses a request no limiter makes, for stores called directly: a
// negative cost would give units back, and the state of a key is sized by
// its number of policies.
func (r *Request) check() error {
	if r.Cost < 0 {
		return ErrInvalidCost
	}
	if n := len(r.Policies); n < 1 || n > MaxPolicies {
		return fmt.Errorf("%w: a request with %d policies, want 1 to %d", ErrInvalidConfig, n, MaxPolicies)
	}
	return nil
}
