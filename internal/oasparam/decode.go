package oasparam

import "strings"

// Limits bound what one request may make the decoders do. Each limit is
// checked before the work it bounds. Zero fields take the defaults.
type Limits struct {
	// MaxPairs is how many key=value pairs a query string, and how many
	// cookies the Cookie header, may hold. If 0, 128.
	MaxPairs int
	// MaxKeyLength is the longest query key or cookie name, in bytes as
	// sent. If 0, 256.
	MaxKeyLength int
	// MaxValueLength is the longest single value (a query value, a cookie
	// value, a path segment, a header value), in bytes as sent. If 0,
	// 4096.
	MaxValueLength int
	// MaxItems is how many items an array, or properties an object, may
	// have. If 0, 128.
	MaxItems int
}

// The defaults of [Limits].
const (
	DefaultMaxPairs       = 128
	DefaultMaxKeyLength   = 256
	DefaultMaxValueLength = 4096
	DefaultMaxItems       = 128
)

func (l Limits) withDefaults() Limits {
	for _, f := range []struct {
		v   *int
		def int
	}{{&l.MaxPairs, DefaultMaxPairs}, {&l.MaxKeyLength, DefaultMaxKeyLength},
		{&l.MaxValueLength, DefaultMaxValueLength}, {&l.MaxItems, DefaultMaxItems}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	return l
}

// escaping is how the text of a value is encoded on the wire.
type escaping uint8

const (
	escNone    escaping = iota // headers: as sent
	escPercent                 // path segments, cookies: percent-encoding
	escForm                    // query: percent-encoding and '+' for space
	escDone                    // already unescaped as a whole
)

// decoder decodes the values of one parameter.
type decoder struct {
	Param
	// key is the header's canonical field name, for lookups.
	key     string
	explode bool
	lim     *Limits
}

func (d *decoder) fail(kind error, format string, args ...any) *Error {
	return newError(kind, d.In, d.Name, format, args...)
}

// text unescapes one value.
func (d *decoder) text(raw string, esc escaping) (string, *Error) {
	switch esc {
	case escDone:
		return raw, nil
	case escNone:
		if !validHeaderText(raw) {
			return "", d.fail(ErrMalformed, "is not valid text")
		}
		return raw, nil
	}
	s, ok := unescape(raw, esc == escForm)
	if !ok {
		return "", d.fail(ErrMalformed, "is not correctly percent-encoded text")
	}
	return s, nil
}

// primitive decodes one whole value.
func (d *decoder) primitive(raw string, esc escaping) (any, *Error) {
	s, err := d.text(raw, esc)
	if err != nil {
		return nil, err
	}
	v, refused := coerce(s, d.Type)
	if refused != "" {
		return nil, d.fail(ErrMalformed, "%s", refused)
	}
	return v, nil
}

// split splits s at sep into at most MaxItems parts, counting first.
func (d *decoder) split(s, sep string) ([]string, *Error) {
	if strings.Count(s, sep) >= d.lim.MaxItems {
		return nil, d.fail(ErrLimit, "has more than %d items", d.lim.MaxItems)
	}
	return strings.Split(s, sep), nil
}

// items decodes raw items into an array.
func (d *decoder) items(raws []string, esc escaping) (any, *Error) {
	if len(raws) > d.lim.MaxItems {
		return nil, d.fail(ErrLimit, "has more than %d items", d.lim.MaxItems)
	}
	out := make([]any, len(raws))
	for i, raw := range raws {
		s, err := d.text(trimOWS(raw, esc), esc)
		if err != nil {
			return nil, err
		}
		v, refused := coerce(s, d.ItemType)
		if refused != "" {
			return nil, d.fail(ErrMalformed, "item %d %s", i+1, refused)
		}
		out[i] = v
	}
	return out, nil
}

// list decodes a delimited array: empty text is the empty array.
func (d *decoder) list(body, sep string, esc escaping) (any, *Error) {
	if body == "" {
		return []any{}, nil
	}
	parts, err := d.split(body, sep)
	if err != nil {
		return nil, err
	}
	return d.items(parts, esc)
}

// setRaw adds one property, whose name is still encoded, to obj.
func (d *decoder) setRaw(obj map[string]any, rawKey, rawVal string, esc escaping) *Error {
	k, err := d.text(trimOWS(rawKey, esc), esc)
	if err != nil {
		return err
	}
	return d.set(obj, k, rawVal, esc)
}

// set adds one property to obj, refusing a repeated name.
func (d *decoder) set(obj map[string]any, k, rawVal string, esc escaping) *Error {
	if len(obj) >= d.lim.MaxItems {
		return d.fail(ErrLimit, "has more than %d properties", d.lim.MaxItems)
	}
	s, err := d.text(trimOWS(rawVal, esc), esc)
	if err != nil {
		return err
	}
	if _, dup := obj[k]; dup {
		return d.fail(ErrMalformed, "has a property more than once")
	}
	v, refused := coerce(s, d.PropTypes[k])
	if refused != "" {
		return d.fail(ErrMalformed, "property %q %s", k, refused)
	}
	obj[k] = v
	return nil
}

// pairs decodes an object written name,value,name,value.
func (d *decoder) pairs(body, sep string, esc escaping) (any, *Error) {
	obj := map[string]any{}
	if body == "" {
		return obj, nil
	}
	parts, err := d.split(body, sep)
	if err != nil {
		return nil, err
	}
	if len(parts)%2 != 0 {
		return nil, d.fail(ErrMalformed, "must be a list of property names and values")
	}
	for i := 0; i < len(parts); i += 2 {
		if err := d.setRaw(obj, parts[i], parts[i+1], esc); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// assignments decodes an object written name=value<sep>name=value.
func (d *decoder) assignments(body, sep string, esc escaping) (any, *Error) {
	obj := map[string]any{}
	if body == "" {
		return obj, nil
	}
	parts, err := d.split(body, sep)
	if err != nil {
		return nil, err
	}
	for _, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, d.fail(ErrMalformed, "must be a list of name=value properties")
		}
		if err := d.setRaw(obj, k, v, esc); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// delimited decodes text in which arrays and objects are separated by
// sep (simple, label and the non-exploded form styles).
func (d *decoder) delimited(body, sep string, esc escaping) (any, *Error) {
	switch d.Shape {
	case ShapeArray:
		return d.list(body, sep, esc)
	case ShapeObject:
		if d.explode {
			return d.assignments(body, sep, esc)
		}
		return d.pairs(body, sep, esc)
	}
	return d.primitive(body, esc)
}

// path decodes a raw (still percent-encoded) path segment value.
func (d *decoder) path(raw string) (any, *Error) {
	if len(raw) > d.lim.MaxValueLength {
		return nil, d.fail(ErrLimit, "is longer than %d bytes", d.lim.MaxValueLength)
	}
	switch d.Style {
	case StyleLabel:
		body, ok := strings.CutPrefix(raw, ".")
		if !ok {
			return nil, d.fail(ErrMalformed, "must start with '.'")
		}
		if d.explode && d.Shape != ShapePrimitive {
			return d.delimited(body, ".", escPercent)
		}
		if d.Shape == ShapeObject {
			return d.pairs(body, ",", escPercent)
		}
		return d.delimited(body, ",", escPercent)
	case StyleMatrix:
		return d.matrix(raw)
	}
	if d.Shape == ShapeObject && !d.explode {
		return d.pairs(raw, ",", escPercent)
	}
	return d.delimited(raw, ",", escPercent)
}

// matrix decodes ;name=value (and its exploded forms).
func (d *decoder) matrix(raw string) (any, *Error) {
	head := ";" + d.Name
	if d.explode && d.Shape == ShapeObject {
		body, ok := strings.CutPrefix(raw, ";")
		if !ok {
			return nil, d.fail(ErrMalformed, "must start with ';'")
		}
		return d.assignments(body, ";", escPercent)
	}
	if d.explode && d.Shape == ShapeArray {
		if raw == head {
			return []any{}, nil
		}
		parts, err := d.split(strings.TrimPrefix(raw, ";"), ";")
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(raw, ";") {
			return nil, d.fail(ErrMalformed, "must be written ;%s=value for each item", d.Name)
		}
		for i, p := range parts {
			v, ok := strings.CutPrefix(p, d.Name+"=")
			if !ok {
				return nil, d.fail(ErrMalformed, "must be written ;%s=value for each item", d.Name)
			}
			parts[i] = v
		}
		return d.items(parts, escPercent)
	}
	rest, ok := strings.CutPrefix(raw, head)
	if !ok || (rest != "" && rest[0] != '=') {
		return nil, d.fail(ErrMalformed, "must be written ;%s=value", d.Name)
	}
	if rest == "" {
		if d.Shape == ShapePrimitive {
			return d.primitive("", escPercent)
		}
		return d.delimited("", ",", escPercent)
	}
	rest = rest[1:]
	if d.Shape == ShapeObject {
		return d.pairs(rest, ",", escPercent)
	}
	return d.delimited(rest, ",", escPercent)
}

// header decodes the field lines of one header.
func (d *decoder) header(lines []string) (any, *Error) {
	total := 0
	for _, l := range lines {
		total += len(l) + 1
	}
	if total > d.lim.MaxValueLength {
		return nil, d.fail(ErrLimit, "is longer than %d bytes", d.lim.MaxValueLength)
	}
	if d.Shape == ShapePrimitive {
		if len(lines) != 1 {
			return nil, d.fail(ErrMalformed, "must be sent once")
		}
		return d.primitive(lines[0], escNone)
	}
	if len(lines) > d.lim.MaxItems {
		return nil, d.fail(ErrLimit, "has more than %d items", d.lim.MaxItems)
	}
	// RFC 9110 §5.3: several field lines are one list, joined by commas.
	body := strings.Join(lines, ",")
	if d.Shape == ShapeObject && !d.explode {
		return d.pairs(body, ",", escNone)
	}
	return d.delimited(body, ",", escNone)
}

// trimOWS trims the optional white space around header list items.
func trimOWS(s string, esc escaping) string {
	if esc != escNone {
		return s
	}
	return strings.Trim(s, " \t")
}

// validHeaderText reports whether s is UTF-8 without control characters
// other than tab.
func validHeaderText(s string) bool {
	for _, r := range s {
		if r == 0xFFFD || (r < 0x20 && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}
