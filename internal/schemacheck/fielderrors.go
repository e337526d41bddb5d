package schemacheck

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// maxPointerLength bounds a pointer in a response. A longer one is replaced
// by its deepest ancestor that fits, so a pointer is never truncated into a
// wrong one and a hostile key cannot make the response large.
const maxPointerLength = 256

// errPanic is the cause recorded when the schema library panics.
var errPanic = errors.New("validate: the schema library panicked")

// Validate runs the schema s on doc, an already-decoded value (a body, a
// parameter's typed value, a form decoded to a map), turning a failure
// into a 422 validation_failed problem whose field errors are in in
// (apierrors.InBody, InQuery, ...), under the pointer token prefix if it
// is not empty, at most maxErrors of them; and a panic of the schema
// library into a 400 one, logged to logger if not nil, so no input can
// crash the request.
//
// A value the fast path proves valid ([fastNode]) is accepted without
// calling the schema library; every other value goes through it.
func Validate(s *jsonschema.Schema, doc any, in, prefix string, maxErrors int, logger *slog.Logger) error {
	return validateWith(fastFor(s), s, doc, in, prefix, maxErrors, logger)
}

// validateWith is Validate with the fast path of s given.
func validateWith(fast *fastNode, s *jsonschema.Schema, doc any, in, prefix string, maxErrors int, logger *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if logger != nil {
				logger.Error("validate: schema validation panicked", slog.Any("panic", p))
			}
			err = apierrors.New(http.StatusBadRequest, apierrors.ReasonMalformedRequest,
				"The request could not be validated.").WithCause(fmt.Errorf("%w: %v", errPanic, p))
		}
	}()
	if fast.valid(doc, 0) {
		return nil
	}
	if verr := s.Validate(doc); verr != nil {
		return apierrors.New(http.StatusUnprocessableEntity, apierrors.ReasonValidationFailed,
			"The request does not match its schema.").WithErrors(fieldErrors(verr, in, prefix, maxErrors)...).WithCause(verr)
	}
	return nil
}

// fieldErrors turns the schema library's error tree into field errors the
// client may see: where the value was (in), an RFC 6901 pointer to it, a
// detail written here from the error's kind, and the keyword. It never uses
// the library's messages, which quote input values, nor its schema
// locations, which name files.
//
// prefix, if not empty, is a token put before every pointer: the name of
// a parameter validated on its own.
func fieldErrors(err error, in, prefix string, maxErrs int) []apierrors.FieldError {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []apierrors.FieldError{{In: in, Pointer: Pointer(prefixed(prefix, nil)), Detail: "is invalid"}}
	}
	var out []apierrors.FieldError
	collect(ve, in, prefix, &out)
	slices.SortStableFunc(out, func(a, b apierrors.FieldError) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Keyword, b.Keyword)
	})
	out = slices.Compact(out)
	if len(out) > maxErrs {
		out = out[:maxErrs]
	}
	return out
}

func collect(ve *jsonschema.ValidationError, in, prefix string, out *[]apierrors.FieldError) {
	switch ve.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
		// Containers: the failures are in the causes.
		for _, c := range ve.Causes {
			collect(c, in, prefix, out)
		}
		return
	}
	at := func(extra ...string) string { return Pointer(prefixed(prefix, ve.InstanceLocation), extra...) }
	add := func(p, detail, keyword string) {
		*out = append(*out, apierrors.FieldError{In: in, Pointer: p, Detail: detail, Keyword: keyword})
	}
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			add(at(m), "is required", "required")
		}
	case *kind.DependentRequired:
		for _, m := range k.Missing {
			add(at(m), "is required when "+strconv.Quote(k.Prop)+" is present", "dependentRequired")
		}
	case *kind.Dependency:
		for _, m := range k.Missing {
			add(at(m), "is required when "+strconv.Quote(k.Prop)+" is present", "dependencies")
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			add(at(p), "is not allowed", "additionalProperties")
		}
	default:
		kw := ""
		if kp := ve.ErrorKind.KeywordPath(); len(kp) > 0 {
			kw = kp[0]
		}
		if _, ok := ve.ErrorKind.(*kind.FalseSchema); ok {
			kw = "false"
		}
		add(at(), detailOf(ve.ErrorKind), kw)
	}
}

// detailOf says what a failure means without quoting the failing value.
// Numbers and names in it come from the schema, never from the input.
func detailOf(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		return "must be " + strings.Join(k.Want, " or ")
	case *kind.Enum:
		return "must be one of the allowed values"
	case *kind.Const:
		return "must be the allowed value"
	case *kind.Format:
		return "must be a valid " + k.Want
	case *kind.MinProperties:
		return "must have at least " + Count(k.Want, "property", "properties")
	case *kind.MaxProperties:
		return "must have at most " + Count(k.Want, "property", "properties")
	case *kind.MinItems:
		return "must have at least " + Count(k.Want, "item", "items")
	case *kind.MaxItems:
		return "must have at most " + Count(k.Want, "item", "items")
	case *kind.AdditionalItems:
		return "has more items than allowed"
	case *kind.PropertyNames:
		return "has a property name that is not allowed"
	case *kind.UniqueItems:
		return fmt.Sprintf("must not repeat items (items %d and %d are equal)", k.Duplicates[0], k.Duplicates[1])
	case *kind.Contains:
		return "must contain a matching item"
	case *kind.MinContains:
		return "must contain at least " + Count(k.Want, "matching item", "matching items")
	case *kind.MaxContains:
		return "must contain at most " + Count(k.Want, "matching item", "matching items")
	case *kind.MinLength:
		return "must be at least " + Count(k.Want, "character", "characters") + " long"
	case *kind.MaxLength:
		return "must be at most " + Count(k.Want, "character", "characters") + " long"
	case *kind.Pattern:
		return "must match the required pattern"
	case *kind.ContentEncoding, *kind.ContentMediaType, *kind.ContentSchema:
		return "has invalid content"
	case *kind.Minimum:
		return "must be >= " + ratString(k.Want)
	case *kind.Maximum:
		return "must be <= " + ratString(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be > " + ratString(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be < " + ratString(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + ratString(k.Want)
	case *kind.Not:
		return "must not match the excluded shape"
	case *kind.AnyOf:
		return "must match at least one of the allowed shapes"
	case *kind.OneOf:
		return "must match exactly one of the allowed shapes"
	case *kind.FalseSchema:
		return "is not allowed"
	default:
		return "is invalid"
	}
}

// Count says n of a thing, in the singular for one.
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// prefixed returns loc under the token prefix, or loc if prefix is empty.
func prefixed(prefix string, loc []string) []string {
	if prefix == "" {
		return loc
	}
	return append([]string{prefix}, loc...)
}

// Pointer builds an RFC 6901 pointer from the instance location and extra
// tokens, escaping "~" as "~0" and "/" as "~1", and falling back to the
// deepest ancestor within maxPointerLength.
func Pointer(loc []string, extra ...string) string {
	var b strings.Builder
	for _, toks := range [][]string{loc, extra} {
		for _, t := range toks {
			n := b.Len()
			b.WriteByte('/')
			for i := 0; i < len(t); i++ {
				switch t[i] {
				case '~':
					b.WriteString("~0")
				case '/':
					b.WriteString("~1")
				default:
					b.WriteByte(t[i])
				}
			}
			if b.Len() > maxPointerLength {
				return b.String()[:n]
			}
		}
	}
	return b.String()
}
