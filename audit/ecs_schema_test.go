package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file checks ECS lines against the ECS 8.11.0 field list in
// testdata/ecs-8.11.0/ecs_flat.yml (copied unchanged from the ECS
// repository): every key is an ECS field, or the object above one, or lies
// under our namespace apishield; each value has its field's type (arrays
// only where ECS normalizes the field to one); fields with allowed values
// (event.kind, event.category, event.type, event.outcome) hold one of them;
// each event.type is one that an event.category of the line expects; and
// the fields ECS requires are present.

const ecsFlat = "testdata/ecs-8.11.0/ecs_flat.yml"

type ecsField struct {
	typ      string
	array    bool
	required bool
	allowed  map[string][]string // allowed value → the event types it expects; nil if any value goes
}

var (
	ecsOnce   sync.Once
	ecsFields map[string]*ecsField
	ecsErr    error
)

func loadECS(t *testing.T) map[string]*ecsField {
	t.Helper()
	ecsOnce.Do(func() { ecsFields, ecsErr = readECS(ecsFlat) })
	if ecsErr != nil {
		t.Fatalf("%s: %v", ecsFlat, ecsErr)
	}
	return ecsFields
}

// readECS reads the flat file, which is YAML of a fixed shape: each field
// at column 0, its properties indented by 2, the entries of its
// allowed_values list by 4. Only what the check needs is read.
func readECS(name string) (map[string]*ecsField, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fields := map[string]*ecsField{}
	var cur *ecsField
	var key2, key4 string
	var expected []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		body := strings.TrimLeft(line, " ")
		indent := len(line) - len(body)
		item := strings.HasPrefix(body, "- ")
		switch {
		case indent == 0:
			name := strings.Trim(strings.TrimSuffix(body, ":"), "'")
			cur = &ecsField{}
			fields[name] = cur
			key2 = ""
		case cur == nil:
			return nil, fmt.Errorf("indented line before any field: %q", line)
		case indent == 2 && !item:
			k, v, _ := strings.Cut(body, ":")
			key2, v = k, strings.TrimSpace(v)
			switch k {
			case "type":
				cur.typ = v
			case "required":
				cur.required = v == "true"
			case "allowed_values":
				cur.allowed = map[string][]string{}
			}
		case indent == 2 && item && key2 == "normalize":
			cur.array = cur.array || body == "- array"
		case indent == 2 && item && key2 == "allowed_values":
			// A new entry; its first key is on this line.
			expected = nil
			key4, _, _ = strings.Cut(strings.TrimPrefix(body, "- "), ":")
		case indent == 4 && !item && key2 == "allowed_values":
			k, v, _ := strings.Cut(body, ":")
			key4 = k
			if k == "name" {
				cur.allowed[strings.TrimSpace(v)] = expected
			}
		case indent == 4 && item && key2 == "allowed_values" && key4 == "expected_event_types":
			expected = append(expected, strings.TrimPrefix(body, "- "))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(fields) < 1000 || fields["@timestamp"] == nil || fields["event.category"].allowed["web"] == nil {
		return nil, fmt.Errorf("read %d fields: not the flat field list this reader knows", len(fields))
	}
	return fields, nil
}

// checkECS returns every problem of one ECS line.
func checkECS(fields map[string]*ecsField, line map[string]any) []string {
	var errs []string
	errorf := func(path, format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	seen := map[string]any{}
	var walk func(prefix string, obj map[string]any)
	walk = func(prefix string, obj map[string]any) {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			path, v := prefix+k, obj[k]
			if path == nsKey(ECS) || strings.HasPrefix(path, nsKey(ECS)+".") {
				continue // ours
			}
			f := fields[path]
			if m, ok := v.(map[string]any); ok && (f == nil || f.typ == "object" || f.typ == "nested") {
				if f == nil && !ecsObject(fields, path) {
					errorf(path, "neither an ECS field nor the object of one")
					continue
				}
				walk(path+".", m)
				continue
			}
			if f == nil {
				errorf(path, "not an ECS field")
				continue
			}
			seen[path] = v
			checkECSValue(path, v, f, errorf)
		}
	}
	walk("", line)
	for name, f := range fields {
		if _, ok := seen[name]; f.required && !ok {
			errorf(name, "required by ECS, missing")
		}
	}
	if v := seen["ecs.version"]; v != ECSVersion {
		errorf("ecs.version", "is %v, want %s (the field list's version)", v, ECSVersion)
	}
	// Each event.type is one some event.category of the line expects.
	cats, _ := seen["event.category"].([]any)
	types, _ := seen["event.type"].([]any)
	for _, ty := range types {
		ok := len(cats) == 0
		for _, c := range cats {
			ok = ok || slices.Contains(fields["event.category"].allowed[fmt.Sprint(c)], fmt.Sprint(ty))
		}
		if !ok {
			errorf("event.type", "%v is expected by none of the categories %v", ty, cats)
		}
	}
	return errs
}

// ecsObject reports whether path is the object above some ECS field.
func ecsObject(fields map[string]*ecsField, path string) bool {
	for name := range fields {
		if strings.HasPrefix(name, path+".") {
			return true
		}
	}
	return false
}

func checkECSValue(path string, v any, f *ecsField, errorf func(string, string, ...any)) {
	if arr, ok := v.([]any); ok {
		if !f.array {
			errorf(path, "an array, but ECS does not normalize %s to one", path)
			return
		}
		for _, e := range arr {
			checkECSValue(path, e, &ecsField{typ: f.typ, allowed: f.allowed}, errorf)
		}
		return
	}
	if f.array {
		errorf(path, "ECS normalizes %s to an array, got %T", path, v)
		return
	}
	switch f.typ {
	case "keyword", "wildcard", "constant_keyword", "match_only_text", "text":
		if _, ok := v.(string); !ok {
			errorf(path, "want a string (%s), got %T", f.typ, v)
		}
	case "long":
		if _, ok := intOf(v); !ok {
			errorf(path, "want an integer (long), got %v", v)
		}
	case "float", "scaled_float":
		if _, ok := v.(json.Number); !ok {
			errorf(path, "want a number (%s), got %T", f.typ, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			errorf(path, "want a boolean, got %T", v)
		}
	case "date":
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			errorf(path, "want an RFC 3339 date, got %v", v)
		}
	case "ip":
		s, _ := v.(string)
		if _, err := netip.ParseAddr(s); err != nil {
			errorf(path, "want an IP address, got %v", v)
		}
	case "flattened":
		if _, ok := v.(map[string]any); !ok {
			errorf(path, "want an object (flattened), got %T", v)
		}
	default:
		errorf(path, "type %s, which this check does not know", f.typ)
	}
	if f.allowed != nil {
		if _, ok := f.allowed[fmt.Sprint(v)]; !ok {
			errorf(path, "%v is not one of the allowed values", v)
		}
	}
}
