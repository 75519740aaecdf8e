package policy

import "strings"

// parseConditions reads a Condition block: operator → key → value(s).
func parseConditions(v *jsonValue) ([]Condition, error) {
	if v.kind != jsonObject {
		return nil, errAt(msgSyntax, "Condition must be an object", v.start)
	}
	var out []Condition
	for _, opm := range v.members {
		if _, ok := ParseOperator(opm.key); !ok {
			return nil, errAt("Invalid Condition type : "+opm.key, "", opm.keyPos)
		}
		if opm.value.kind != jsonObject {
			return nil, errAt(msgSyntax, "the value of condition operator "+quote(opm.key)+" must be an object", opm.value.start)
		}
		for _, km := range opm.value.members {
			if i := strings.IndexByte(km.key, ':'); i <= 0 || i == len(km.key)-1 {
				return nil, errAt(msgConditionVendor, "condition key "+quote(km.key), km.keyPos)
			}
			values, err := conditionValues(km.value)
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: opm.key, Key: km.key, Values: values, Pos: km.keyPos})
		}
	}
	return out, nil
}

// conditionValues reads a condition value: a string, number or boolean, or a
// non-empty array of them, each as its text.
func conditionValues(v *jsonValue) ([]string, error) {
	scalar := func(e *jsonValue) (string, bool) {
		switch e.kind {
		case jsonString, jsonNumber, jsonBool:
			return e.text, true
		}
		return "", false
	}
	if v.kind == jsonArray {
		if len(v.elems) == 0 {
			return nil, errAt(msgSyntax, "a condition key needs at least one value", v.start)
		}
		out := make([]string, 0, len(v.elems))
		for _, e := range v.elems {
			s, ok := scalar(e)
			if !ok {
				return nil, errAt(msgSyntax, "condition values must be strings, numbers or booleans", e.start)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalar(v)
	if !ok {
		return nil, errAt(msgSyntax, "condition values must be strings, numbers or booleans", v.start)
	}
	return []string{s}, nil
}
