package audit

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"
)

// validate returns every problem of one OCSF event. The schema compiles
// objects as it meets them, so parallel tests validate one at a time.
func (s *ocsfSchema) validate(ev map[string]any) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &ocsfCheck{s: s}
	uid, ok := intOf(ev["class_uid"])
	if !ok {
		return []string{"class_uid: missing or not an integer"}
	}
	class, ok := s.classes[int(uid)]
	if !ok {
		return []string{fmt.Sprintf("class_uid %d: no such class in %s", uid, ocsfDir)}
	}
	if meta, ok := ev["metadata"].(map[string]any); ok {
		if ps, ok := meta["profiles"].([]any); ok {
			for _, p := range ps {
				ps, _ := p.(string)
				v.profiles = append(v.profiles, ps)
			}
		}
		if ver := meta["version"]; ver != OCSFVersion {
			v.errorf("metadata.version", "is %v, want %s", ver, OCSFVersion)
		}
	}
	v.item("", ev, class, true)
	// The classification the schema computes rather than lists.
	cat := s.categories[class.category]
	v.equal("class_name", ev["class_name"], class.caption)
	if n, ok := intOf(ev["category_uid"]); !ok || int(n) != cat.uid {
		v.errorf("category_uid", "is %v, want %d (%s)", ev["category_uid"], cat.uid, class.category)
	}
	v.equal("category_name", ev["category_name"], cat.caption)
	act, _ := intOf(ev["activity_id"])
	if n, ok := intOf(ev["type_uid"]); !ok || n != uid*100+act {
		v.errorf("type_uid", "is %v, want class_uid*100+activity_id = %d", ev["type_uid"], uid*100+act)
	}
	if tn, ok := ev["type_name"]; ok {
		v.equal("type_name", tn, class.caption+": "+class.attrs["activity_id"].enum[strconv.FormatInt(act, 10)])
	}
	return v.errs
}

type ocsfCheck struct {
	s        *ocsfSchema
	profiles []string
	errs     []string
}

func (v *ocsfCheck) errorf(at, format string, args ...any) {
	v.errs = append(v.errs, at+": "+fmt.Sprintf(format, args...))
}

func (v *ocsfCheck) equal(at string, got any, want string) {
	if got != want {
		v.errorf(at, "is %v, want %q", got, want)
	}
}

// computed are the top-level attributes whose enum the schema computes per
// class; validate checks them against the class itself.
var ocsfComputed = []string{"class_uid", "class_name", "category_uid", "category_name", "type_uid", "type_name"}

// item checks obj against a class or object.
func (v *ocsfCheck) item(at string, obj map[string]any, it *ocsfItem, top bool) {
	join := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	if len(it.attrs) == 0 {
		return // "object": any attributes (unmapped)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, ok := it.attrs[k]
		switch {
		case !ok:
			v.errorf(join(k), "unknown attribute of %s", it.name)
			continue
		case a.profile != "" && !slices.Contains(v.profiles, a.profile):
			v.errorf(join(k), "attribute of profile %s, which metadata.profiles does not name", a.profile)
			continue
		}
		v.value(join(k), obj[k], a)
		if len(a.enum) > 0 && !(top && slices.Contains(ocsfComputed, k)) {
			v.enum(join(k), obj, k, a)
		}
	}
	for name, a := range it.attrs {
		if _, ok := obj[name]; !ok && a.requirement == "required" &&
			(a.profile == "" || slices.Contains(v.profiles, a.profile)) {
			v.errorf(join(name), "required by %s, missing", it.name)
		}
	}
	for kind, names := range it.constraints {
		n := 0
		for _, name := range names {
			if _, ok := obj[name]; ok {
				n++
			}
		}
		switch {
		case kind == "at_least_one" && n == 0:
			v.errorf(at, "%s wants at least one of %v", it.name, names)
		case kind == "just_one" && n != 1:
			v.errorf(at, "%s wants exactly one of %v, has %d", it.name, names, n)
		case kind != "at_least_one" && kind != "just_one":
			v.errorf(at, "unknown constraint %q in the schema", kind)
		}
	}
}

// enum checks an enum attribute's value and its sibling's caption.
func (v *ocsfCheck) enum(at string, obj map[string]any, k string, a *ocsfAttr) {
	val := obj[k]
	key := fmt.Sprint(val)
	caption, ok := a.enum[key]
	if !ok {
		v.errorf(at, "value %v is not in the enum %v", val, slices.Sorted(maps.Keys(a.enum)))
		return
	}
	sib, ok := obj[a.sibling]
	if a.sibling == "" || !ok {
		return
	}
	if key == "99" {
		// Other: the sibling names the source's own value, not "Other".
		if sib == caption {
			v.errorf(at, "is 99 (Other) and its sibling %s says %q instead of the source's value", a.sibling, sib)
		}
		return
	}
	if sib != caption {
		v.errorf(at, "is %s, whose caption is %q, but %s is %v", key, caption, a.sibling, sib)
	}
}

// value checks one value against an attribute's type.
func (v *ocsfCheck) value(at string, val any, a *ocsfAttr) {
	if a.array {
		arr, ok := val.([]any)
		if !ok {
			v.errorf(at, "want an array of %s, got %T", a.typ, val)
			return
		}
		for i, e := range arr {
			v.one(fmt.Sprintf("%s[%d]", at, i), e, a)
		}
		return
	}
	v.one(at, val, a)
}

func (v *ocsfCheck) one(at string, val any, a *ocsfAttr) {
	if val == nil {
		v.errorf(at, "null")
		return
	}
	if a.object {
		obj, ok := val.(map[string]any)
		if !ok {
			v.errorf(at, "want a %s object, got %T", a.typ, val)
			return
		}
		it, err := v.s.object(a.typ)
		if err != nil {
			v.errorf(at, "%v", err)
			return
		}
		v.item(at, obj, it, false)
		return
	}
	// Walk the type up to its primitive, collecting the tightest limits.
	t, maxLen, pattern := a.typ, -1, ""
	var rng []any
	for {
		def := v.s.types[t]
		if ml, ok := def["max_len"].(float64); ok && maxLen < 0 {
			maxLen = int(ml)
		}
		if re, ok := def["regex"].(string); ok && pattern == "" {
			pattern = re
		}
		if r, ok := def["range"].([]any); ok && rng == nil {
			rng = r
		}
		parent, _ := def["type"].(string)
		if parent == "" {
			break
		}
		if a.typ == "timestamp_t" && t == "timestamp_t" {
			// Milliseconds since the epoch: a value in seconds or
			// nanoseconds is a type error a SIEM would not see.
			if n, ok := intOf(val); ok {
				lo, hi := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
				if n < lo || n > hi {
					v.errorf(at, "timestamp %d is not in milliseconds since the epoch", n)
				}
			}
		}
		t = parent
	}
	switch t {
	case "string_t":
		s, ok := val.(string)
		if !ok {
			v.errorf(at, "want a string (%s), got %T", a.typ, val)
			return
		}
		if maxLen >= 0 && len(s) > maxLen {
			v.errorf(at, "%d bytes, longer than %s's %d", len(s), a.typ, maxLen)
		}
		if pattern != "" {
			re, ok := v.s.regexps[pattern]
			if !ok {
				var err error
				if re, err = regexp.Compile(pattern); err != nil {
					v.errorf(at, "the schema's pattern for %s does not compile: %v", a.typ, err)
					return
				}
				v.s.regexps[pattern] = re
			}
			if !re.MatchString(s) {
				v.errorf(at, "%q does not match %s's pattern", s, a.typ)
			}
		}
	case "integer_t", "long_t":
		n, ok := intOf(val)
		if !ok {
			v.errorf(at, "want an integer (%s), got %v", a.typ, val)
			return
		}
		if t == "integer_t" && (n < math.MinInt32 || n > math.MaxInt32) {
			v.errorf(at, "%d does not fit integer_t", n)
		}
		if len(rng) == 2 && (float64(n) < rng[0].(float64) || float64(n) > rng[1].(float64)) {
			v.errorf(at, "%d is outside %s's range %v", n, a.typ, rng)
		}
	case "float_t":
		if _, ok := val.(json.Number); !ok {
			v.errorf(at, "want a number, got %T", val)
		}
	case "boolean_t":
		if _, ok := val.(bool); !ok {
			v.errorf(at, "want a boolean, got %T", val)
		}
	case "json_t":
	default:
		v.errorf(at, "the schema's type %s is not a primitive this validator knows", t)
	}
}
