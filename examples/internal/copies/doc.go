// Package copies holds the test that keeps identical the files the example
// servers carry as copies rather than import: an example must build alone
// once copied out of the repository, so it cannot import a package of
// ours that is not public API, and a fix to one copy must reach all.
package copies
