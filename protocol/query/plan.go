package query

import (
	"reflect"
	"sync"

	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// A shapePlan is an output shape compiled for the encoder: element tags
// written out once, child shapes linked to their plans, and for structures
// the member-to-field mapping of every Go struct type encoded with it. Plans
// are built once per output shape and shared by every response.
type shapePlan struct {
	shape *model.Shape

	// members are a structure's members in model order.
	members []memberPlan
	// fields maps a Go struct type to the fields that carry members
	// (reflect.Type → []fieldPlan).
	fields sync.Map

	// elem is a list's element shape; elemTags name a non-flattened list's
	// elements ("member" unless the model renames them).
	elem     *shapePlan
	elemTags tags

	// key and value are a map's entry shapes, keyTags and valueTags their
	// element names ("key" and "value" unless the model renames them).
	key, value         *shapePlan
	keyTags, valueTags tags

	// urlEncoded marks a scalar shape whose text is sent percent-encoded
	// (see urlEncoded).
	urlEncoded bool
}

// tags are the opening and closing tags of one element name.
type tags struct {
	open, close string
}

func newTags(name string) tags { return tags{open: "<" + name + ">", close: "</" + name + ">"} }

// memberPlan is one structure member: the name results carry it under (map
// key, struct field name or aws tag) and its element.
type memberPlan struct {
	name string
	tags tags
	plan *shapePlan
}

// fieldPlan is the struct field that carries a member.
type fieldPlan struct {
	member    *memberPlan
	index     []int
	omitEmpty bool
}

// plans caches the compiled plan of every operation output shape
// (*model.Shape → *shapePlan). Service models are loaded once per process,
// so the cache is bounded by the models' shapes.
var plans sync.Map

// planFor returns the compiled plan of svc's output shape s.
func planFor(svc *model.Service, s *model.Shape) *shapePlan {
	if p, ok := plans.Load(s); ok {
		return p.(*shapePlan)
	}
	p, _ := plans.LoadOrStore(s, compile(svc.Name, s, map[*model.Shape]*shapePlan{}))
	return p.(*shapePlan)
}

// compile builds the plan of s and of every shape it reaches; seen holds
// the plans already begun, so recursive shapes link back to themselves.
func compile(service string, s *model.Shape, seen map[*model.Shape]*shapePlan) *shapePlan {
	if p, ok := seen[s]; ok {
		return p
	}
	p := &shapePlan{shape: s}
	seen[s] = p
	switch s.Type {
	case model.Structure:
		p.members = make([]memberPlan, len(s.Members))
		for i, m := range s.Members {
			p.members[i] = memberPlan{name: m.Name, tags: newTags(elementName(m, m.Name)),
				plan: compile(service, m.Shape, seen)}
		}
	case model.List:
		p.elemTags = newTags(elementName(s.Member, "member"))
		p.elem = compile(service, s.Member.Shape, seen)
	case model.Map:
		p.keyTags = newTags(elementName(s.Key, "key"))
		p.valueTags = newTags(elementName(s.Value, "value"))
		p.key = compile(service, s.Key.Shape, seen)
		p.value = compile(service, s.Value.Shape, seen)
	default:
		p.urlEncoded = urlEncoded[service][s.Name]
	}
	return p
}

// elementName is the XML element name of a member reference: its
// LocationName, or def.
func elementName(m *model.Member, def string) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return def
}

// fieldsOf returns the fields of struct type t that carry p's members, in
// model order. A field answers to its name or to its `aws:"Name"` tag, and
// `aws:",omitempty"` leaves its zero value out, as protocol.Field reads
// them.
func (p *shapePlan) fieldsOf(t reflect.Type) []fieldPlan {
	if f, ok := p.fields.Load(t); ok {
		return f.([]fieldPlan)
	}
	byName := protocol.StructFields(t)
	var fields []fieldPlan
	for i := range p.members {
		if f, ok := byName[p.members[i].name]; ok {
			fields = append(fields, fieldPlan{member: &p.members[i], index: f.Index, omitEmpty: f.OmitEmpty})
		}
	}
	f, _ := p.fields.LoadOrStore(t, fields)
	return f.([]fieldPlan)
}
