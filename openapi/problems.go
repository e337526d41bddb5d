package openapi

import (
	"errors"
	"fmt"
)

// maxProblems caps the problems one load error lists.
const maxProblems = 50

// problems collects what is wrong with a document so that one load
// reports all of it, not just the first.
type problems struct {
	list []error
}

// doc records a problem with the document at where.
func (p *problems) doc(where, format string, args ...any) {
	p.add(ErrInvalidDocument, where, fmt.Sprintf(format, args...))
}

// config records a problem with the Config the document reveals at where.
func (p *problems) config(where, format string, args ...any) {
	p.add(ErrInvalidConfig, where, fmt.Sprintf(format, args...))
}

func (p *problems) add(kind error, where, msg string) {
	if where != "" {
		msg = where + ": " + msg
	}
	p.list = append(p.list, &loadError{kind: kind, msg: msg})
}

// err returns the problems joined, or nil.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	if len(p.list) <= maxProblems {
		return errors.Join(p.list...)
	}
	shown := append([]error(nil), p.list[:maxProblems]...)
	rest := p.list[maxProblems:]
	kinds := map[error]bool{}
	for _, e := range rest {
		kinds[e.(*loadError).kind] = true
	}
	more := &moreError{n: len(rest)}
	for _, k := range []error{ErrInvalidDocument, ErrInvalidConfig} {
		if kinds[k] {
			more.kinds = append(more.kinds, k)
		}
	}
	return errors.Join(append(shown, more)...)
}

// A loadError is one problem; it wraps ErrInvalidDocument or
// ErrInvalidConfig.
type loadError struct {
	kind error
	msg  string
}

func (e *loadError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *loadError) Unwrap() error { return e.kind }

// moreError stands for the problems past maxProblems.
type moreError struct {
	n     int
	kinds []error
}

func (e *moreError) Error() string   { return fmt.Sprintf("and %d more", e.n) }
func (e *moreError) Unwrap() []error { return e.kinds }
