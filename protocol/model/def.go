package model

// ServiceDef is the serialized form of a service model in data/: botocore's
// service-2.json without documentation, with members as ordered arrays so
// that member order survives encoding/json. gen writes it; Load reads it.
type ServiceDef struct {
	APIVersion   string         `json:"apiVersion"`
	Protocol     string         `json:"protocol"`
	TargetPrefix string         `json:"targetPrefix,omitempty"`
	JSONVersion  string         `json:"jsonVersion,omitempty"`
	XMLNamespace string         `json:"xmlNamespace,omitempty"`
	SigningName  string         `json:"signingName,omitempty"`
	ServiceID    string         `json:"serviceId"`
	Operations   []OperationDef `json:"operations"` // sorted by name
	Shapes       []ShapeDef     `json:"shapes"`     // sorted by name
}

// OperationDef is the serialized form of an Operation.
type OperationDef struct {
	Name          string   `json:"name"`
	Method        string   `json:"method"`
	RequestURI    string   `json:"requestUri"`
	ResponseCode  int      `json:"responseCode,omitempty"`
	Input         string   `json:"input,omitempty"`
	Output        string   `json:"output,omitempty"`
	ResultWrapper string   `json:"resultWrapper,omitempty"`
	Errors        []string `json:"errors,omitempty"`
}

// ShapeDef is the serialized form of a Shape.
type ShapeDef struct {
	Name            string      `json:"name"`
	Type            string      `json:"type"`
	Members         []MemberDef `json:"members,omitempty"`
	Required        []string    `json:"required,omitempty"`
	Member          *MemberDef  `json:"member,omitempty"`
	Key             *MemberDef  `json:"key,omitempty"`
	Value           *MemberDef  `json:"value,omitempty"`
	Min             *int64      `json:"min,omitempty"`
	Max             *int64      `json:"max,omitempty"`
	Pattern         string      `json:"pattern,omitempty"`
	Enum            []string    `json:"enum,omitempty"`
	Flattened       bool        `json:"flattened,omitempty"`
	TimestampFormat string      `json:"timestampFormat,omitempty"`
	Union           bool        `json:"union,omitempty"`
	Exception       bool        `json:"exception,omitempty"`
	Error           *ErrorInfo  `json:"error,omitempty"`
	Sensitive       bool        `json:"sensitive,omitempty"`
}

// MemberDef is the serialized form of a Member (Required lives on the shape).
type MemberDef struct {
	Name             string `json:"name,omitempty"`
	Shape            string `json:"shape"`
	Location         string `json:"location,omitempty"`
	LocationName     string `json:"locationName,omitempty"`
	IdempotencyToken bool   `json:"idempotencyToken,omitempty"`
}
