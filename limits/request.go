package limits

import (
	"net/http"
	"strconv"
	"strings"

	apierrors "github.com/apishield/apishield/errors"
)

// checkTarget bounds the request target: the path, as received and as
// decoded, and the query, in bytes and in parameters.
func checkTarget(r *http.Request, c *compiled) *apierrors.Problem {
	raw := r.URL.RawPath
	if r.RequestURI != "" && r.RequestURI[0] == '/' {
		// As received: the server keeps the request target verbatim.
		raw, _, _ = strings.Cut(r.RequestURI, "?")
	}
	if len(r.URL.Path) > c.maxPath || len(raw) > c.maxPath {
		return tooLong("path", c.maxPath, ErrPathTooLong)
	}
	q := r.URL.RawQuery
	if len(q) > c.maxQuery {
		return tooLong("query", c.maxQuery, ErrQueryTooLong)
	}
	// A query of n bytes has at most (n+1)/2 non-empty pieces: most are
	// short enough that they need no counting.
	if (len(q)+1)/2 > c.maxParams && countParams(q) > c.maxParams {
		return deny(http.StatusRequestURITooLong, apierrors.ReasonURITooLong,
			"The query has more than the limit of "+strconv.Itoa(c.maxParams)+" parameters.", ErrTooManyParams)
	}
	return nil
}

// countParams counts the non-empty pieces of a query between "&" and ";":
// what a parser splitting on either would see as parameters, so ";" cannot
// hide parameters from the count (net/url refuses it; other parsers split
// on it).
func countParams(q string) int {
	n := 0
	start := 0
	for i := 0; i <= len(q); i++ {
		if i == len(q) || q[i] == '&' || q[i] == ';' {
			if i > start {
				n++
			}
			start = i + 1
		}
	}
	return n
}

// checkHeaders bounds the header fields: their number, their total size,
// and each value's size. It returns the Content-Type values it passed, so
// the map is walked once.
func checkHeaders(r *http.Request, c *compiled) (contentType, contentEncoding []string, p *apierrors.Problem) {
	n, total, longest := 0, 0, 0
	for k, vs := range r.Header {
		n += len(vs)
		total += len(vs) * (len(k) + 4) // name, ": " and CRLF on each line
		for _, v := range vs {
			total += len(v)
			longest = max(longest, len(v))
		}
		switch k {
		case "Content-Type":
			contentType = vs
		case "Content-Encoding":
			contentEncoding = vs
		}
	}
	if longest > c.maxValue {
		return nil, nil, deny(http.StatusRequestHeaderFieldsTooLarge, apierrors.ReasonHeadersTooLarge,
			"A header field's value is longer than the limit of "+strconv.Itoa(c.maxValue)+" bytes.", ErrHeaderValueTooLong)
	}
	if n > c.maxHeaders {
		return nil, nil, deny(http.StatusRequestHeaderFieldsTooLarge, apierrors.ReasonHeadersTooLarge,
			"The request has more than the limit of "+strconv.Itoa(c.maxHeaders)+" header fields.", ErrTooManyHeaders)
	}
	if total > c.maxHeaderBytes {
		return nil, nil, deny(http.StatusRequestHeaderFieldsTooLarge, apierrors.ReasonHeadersTooLarge,
			"The header fields are larger than the limit of "+strconv.Itoa(c.maxHeaderBytes)+" bytes.", ErrHeadersTooLarge)
	}
	return contentType, contentEncoding, nil
}

// checkContentType requires one well-formed Content-Type, whose values
// are vs, in types.
func checkContentType(vs []string, types []mediaRange) *apierrors.Problem {
	var detail string
	switch len(vs) {
	case 0:
		detail = "The request body has no Content-Type."
	case 1:
		for _, t := range types {
			if t.exact != "" && vs[0] == t.exact {
				return nil // the common case, spelled as listed: no parsing
			}
		}
		typ, sub, ok := parseMediaType(vs[0])
		if !ok {
			detail = "The request's Content-Type is malformed."
			break
		}
		for _, t := range types {
			if t.match(typ, sub) {
				return nil
			}
		}
		detail = "The request body's media type is not accepted by this route."
	default:
		// Two parsers could pick different ones.
		detail = "The request has more than one Content-Type."
	}
	return deny(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType, detail, ErrUnsupportedMediaType)
}

// checkContentEncoding allows a body whose Content-Encoding values vs name
// only identity or codings c lists.
func checkContentEncoding(vs []string, c *compiled) *apierrors.Problem {
	if c.anyEncoding {
		return nil
	}
	for _, v := range vs {
		for coding := range strings.SplitSeq(v, ",") {
			coding = strings.Trim(coding, " \t")
			if coding == "" || strings.EqualFold(coding, "identity") {
				continue
			}
			if !isToken(coding) || !listed(c.encodings, coding) {
				return deny(http.StatusUnsupportedMediaType, apierrors.ReasonUnsupportedMediaType,
					"The request body's Content-Encoding is not accepted by this route.", ErrContentEncoding)
			}
		}
	}
	return nil
}

func listed(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}
