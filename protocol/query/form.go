package query

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseForm parses a form-encoded string exactly as url.ParseQuery does
// (same values, same first error, same limit on the number of parameters)
// but with one allocation for the value slices of up to 64 keys: each
// key's first value sits in a shared array, capped so that a repeated key's
// append copies it out. Query requests send every parameter once, so that
// is the whole cost besides the map.
func ParseForm(s string) (url.Values, error) {
	if s == "" {
		return url.Values{}, nil
	}
	n := strings.Count(s, "&") + 1
	if n > maxFormParams {
		// url.ParseQuery applies the limit (and the GODEBUG setting
		// urlmaxqueryparams that may lift it).
		return url.ParseQuery(s)
	}
	// Size for the usual form; a long one grows as url.ParseQuery's would.
	// When first grows, the values already handed out keep the old array.
	n = min(n, 64)
	m := make(url.Values, n)
	first := make([]string, 0, n)
	var err error
	for s != "" {
		var key string
		key, s, _ = strings.Cut(s, "&")
		if strings.Contains(key, ";") {
			err = fmt.Errorf("invalid semicolon separator in query")
			continue
		}
		if key == "" {
			continue
		}
		key, value, _ := strings.Cut(key, "=")
		key, err1 := url.QueryUnescape(key)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		value, err1 = url.QueryUnescape(value)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		if vs, ok := m[key]; ok {
			m[key] = append(vs, value)
			continue
		}
		first = append(first, value)
		m[key] = first[len(first)-1 : len(first) : len(first)]
	}
	return m, err
}

// maxFormParams is url.ParseQuery's default limit on the number of
// parameters; ParseForm leaves longer forms to it.
const maxFormParams = 10000
