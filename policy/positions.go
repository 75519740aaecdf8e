package policy

// NodeKind is the JSON type of a Node.
type NodeKind uint8

// The JSON types.
const (
	NullNode NodeKind = iota
	BoolNode
	NumberNode
	StringNode
	ArrayNode
	ObjectNode
)

// String names the kind as JSON does ("string", "array", …).
func (k NodeKind) String() string {
	switch k {
	case BoolNode:
		return "boolean"
	case NumberNode:
		return "number"
	case StringNode:
		return "string"
	case ArrayNode:
		return "array"
	case ObjectNode:
		return "object"
	}
	return "null"
}

// Node is one JSON value of a policy document with the span it occupies,
// for tools that report on a document element by element (the policy
// validator) rather than accept or reject it as a whole as Parse does.
type Node struct {
	Kind    NodeKind
	Text    string   // string contents, or the literal text of a number, boolean or null
	Members []Member // object members in source order, repeated keys kept
	Elems   []*Node  // array elements
	// Start is the first character of the value, End the position just
	// past its last character.
	Start, End Position
}

// Member is one member of a JSON object.
type Member struct {
	Key              string
	KeyStart, KeyEnd Position // the quoted key, quotes included
	Value            *Node
}

// ParseTree parses doc as JSON and returns its value tree with positions.
// A document that is not JSON yields an *Error with Message "Syntax errors
// in policy." and the position of the offending character.
func ParseTree(doc string) (*Node, *Error) {
	v, msg, pos := parseJSON(doc)
	if v == nil {
		return nil, errAt(msgSyntax, msg, pos)
	}
	e := &exporter{doc: doc, slab: make([]Node, 0, countValues(v))}
	return e.node(v), nil
}

// countValues is the number of JSON values in v, v included.
func countValues(v *jsonValue) int {
	n := 1
	for _, e := range v.elems {
		n += countValues(e)
	}
	for _, m := range v.members {
		n += countValues(m.value)
	}
	return n
}

// exporter converts the parser's tree, taking every Node from one slab.
type exporter struct {
	doc  string
	slab []Node
}

func (x *exporter) node(v *jsonValue) *Node {
	x.slab = append(x.slab, Node{Kind: NodeKind(v.kind), Text: v.text, Start: v.start, End: v.end})
	n := &x.slab[len(x.slab)-1]
	if len(v.elems) > 0 {
		n.Elems = make([]*Node, len(v.elems))
		for i, e := range v.elems {
			n.Elems[i] = x.node(e)
		}
	}
	if len(v.members) > 0 {
		n.Members = make([]Member, len(v.members))
		for i, m := range v.members {
			n.Members[i] = Member{Key: m.key, KeyStart: m.keyPos, KeyEnd: stringEnd(x.doc, m.keyPos), Value: x.node(m.value)}
		}
	}
	return n
}

// stringEnd returns the position just past the closing quote of the JSON
// string that starts at start, which the parser has already accepted.
func stringEnd(doc string, start Position) Position {
	p := &jsonParser{src: doc, off: start.Offset, line: start.Line, col: start.Column}
	p.str()
	return p.pos()
}
