// Package apicheck holds tests of rules that every public package's API
// keeps, read from the source: they fail when a package breaks a rule
// that users rely on without reading each package's docs.
package apicheck
