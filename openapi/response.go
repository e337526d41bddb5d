package openapi

import (
	"net/http"
	"strconv"
)

// A respCheck is an operation's declared responses, ready to look up by
// status code and media type.
type respCheck struct {
	byCode  map[int]*respEntry // "200"
	byClass [6]*respEntry      // "2XX" at index 2
	dflt    *respEntry         // "default"
}

// A respEntry is one declared response: its media types, or none for a
// response without a body.
type respEntry struct {
	key   string
	media *mediaTable // nil when the response declares no content
}

func newRespCheck(op *operation, cfg *Config) (*respCheck, error) {
	if cfg.Responses == ResponsesOff {
		return nil, nil
	}
	c := &respCheck{byCode: map[int]*respEntry{}}
	for key, resp := range op.responses {
		e := &respEntry{key: key}
		if resp != nil && len(resp.content) > 0 {
			var err error
			if e.media, err = newMediaTable(resp.content); err != nil {
				return nil, errorf("response %s: %v", key, err)
			}
		}
		switch {
		case key == "default":
			c.dflt = e
		case len(key) == 3 && key[1] == 'X' && key[2] == 'X' && key[0] >= '1' && key[0] <= '5':
			c.byClass[key[0]-'0'] = e
		default:
			code, err := strconv.Atoi(key)
			if err != nil || code < 100 || code > 599 {
				return nil, errorf("response %q is not a status code, a range such as 2XX, or default", key)
			}
			c.byCode[code] = e
		}
	}
	return c, nil
}

// lookup returns the declared response for a status code: the code
// itself, then its class ("2XX"), then "default". ok is false when the
// document declares none of them.
func (c *respCheck) lookup(status int) (*respEntry, bool) {
	if e := c.byCode[status]; e != nil {
		return e, true
	}
	if status >= 100 && status < 600 {
		if e := c.byClass[status/100]; e != nil {
			return e, true
		}
	}
	if c.dflt != nil {
		return c.dflt, true
	}
	return nil, false
}

func (c *respCheck) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	next.ServeHTTP(w, r)
}
