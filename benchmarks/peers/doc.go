// Package peers holds benchmarks of apishield beside the stacks Go
// services use without it, built from the libraries those stacks are made
// of. It is a module of its own so that apishield's go.mod never names
// them: nothing here is linked by a program that imports apishield.
//
// Run it with
//
//	cd benchmarks/peers && go test -run '^$' -bench . -count 6
package peers
