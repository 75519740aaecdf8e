package query

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// TimeFormat is how query responses write timestamps (ISO 8601, UTC).
const TimeFormat = "2006-01-02T15:04:05Z"

// WriteResponse writes op's success response: result (a map[string]any,
// protocol.Params or struct whose members follow op's output shape; see
// protocol.Field) inside <OpResponse><OpResult>, then ResponseMetadata.
// Operations without output get only ResponseMetadata. A result that does
// not fit the shape is a server bug and is answered with ServiceFailure.
func WriteResponse(w http.ResponseWriter, svc *model.Service, op *model.Operation, result any, requestID string) {
	body, err := Marshal(svc, op, result, requestID)
	if err != nil {
		WriteError(w, svc, err, requestID)
		return
	}
	writeXML(w, http.StatusOK, requestID, body)
}

// Marshal renders op's success response document.
func Marshal(svc *model.Service, op *model.Operation, result any, requestID string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, op.Name, svc.XMLNamespace)
	if op.Output != nil {
		wrapper := op.ResultWrapper
		if wrapper == "" {
			wrapper = op.Name + "Result"
		}
		b.WriteString("<" + wrapper + ">")
		if err := (&encoder{svc: svc, b: &b}).members(op.Output, result); err != nil {
			return nil, fmt.Errorf("query: %s: %w", op.Name, err)
		}
		b.WriteString("</" + wrapper + ">")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	escape(&b, requestID)
	fmt.Fprintf(&b, "</RequestId></ResponseMetadata></%sResponse>", op.Name)
	return b.Bytes(), nil
}

// WriteError writes err as the query protocol's ErrorResponse with the
// error's HTTP status; codes and default statuses are corrected from the
// service model (see protocol.ModelError). Errors that are not *awserr.Error are rendered as
// ServiceFailure without their text.
func WriteError(w http.ResponseWriter, svc *model.Service, err error, requestID string) {
	e := protocol.ModelError(svc, protocol.AWSError(err, "ServiceFailure"))
	writeXML(w, e.Status, requestID, MarshalError(svc, e, requestID))
}

// MarshalError renders the ErrorResponse document for e.
func MarshalError(svc *model.Service, e *awserr.Error, requestID string) []byte {
	var b bytes.Buffer
	typ := "Sender"
	if e.Receiver {
		typ = "Receiver"
	}
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, svc.XMLNamespace, typ)
	escape(&b, e.Code)
	b.WriteString("</Code><Message>")
	escape(&b, e.Message)
	b.WriteString("</Message></Error><RequestId>")
	escape(&b, requestID)
	b.WriteString("</RequestId></ErrorResponse>")
	return b.Bytes()
}

func writeXML(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	w.Write(body)
}

// urlEncoded lists, per service, the output shapes whose text is sent
// percent-encoded (RFC 3986): IAM returns every policy document that way.
var urlEncoded = map[string]map[string]bool{
	"iam": {"policyDocumentType": true},
}

// escapeRFC3986 percent-encodes every byte but the unreserved characters.
func escapeRFC3986(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// encoder writes a result's XML for one service.
type encoder struct {
	svc *model.Service
	b   *bytes.Buffer
}

func (e *encoder) members(s *model.Shape, v any) error {
	for _, m := range s.Members {
		x, ok := protocol.Field(v, m.Name)
		if !ok {
			continue
		}
		name := m.Name
		if m.LocationName != "" {
			name = m.LocationName
		}
		if err := e.value(name, m.Shape, x); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return nil
}

func (e *encoder) value(name string, s *model.Shape, v any) error {
	b := e.b
	switch s.Type {
	case model.Structure:
		b.WriteString("<" + name + ">")
		if err := e.members(s, v); err != nil {
			return err
		}
		b.WriteString("</" + name + ">")
		return nil
	case model.List:
		els, ok := protocol.Elems(v)
		if !ok {
			return fmt.Errorf("want a list, have %T", v)
		}
		elName := "member"
		if s.Member.LocationName != "" {
			elName = s.Member.LocationName
		}
		if s.Flattened {
			elName = name
		} else {
			b.WriteString("<" + name + ">")
		}
		for i, el := range els {
			if err := e.value(elName, s.Member.Shape, el); err != nil {
				return fmt.Errorf("%d: %w", i+1, err)
			}
		}
		if !s.Flattened {
			b.WriteString("</" + name + ">")
		}
		return nil
	case model.Map:
		entries, ok := protocol.Entries(v)
		if !ok {
			return fmt.Errorf("want a map, have %T", v)
		}
		keyName, valueName := "key", "value"
		if s.Key.LocationName != "" {
			keyName = s.Key.LocationName
		}
		if s.Value.LocationName != "" {
			valueName = s.Value.LocationName
		}
		b.WriteString("<" + name + ">")
		for _, en := range entries {
			b.WriteString("<entry>")
			if err := e.value(keyName, s.Key.Shape, en.Key); err != nil {
				return err
			}
			if err := e.value(valueName, s.Value.Shape, en.Value); err != nil {
				return fmt.Errorf("%s: %w", en.Key, err)
			}
			b.WriteString("</entry>")
		}
		b.WriteString("</" + name + ">")
		return nil
	}
	text, err := scalarText(s, v)
	if err != nil {
		return err
	}
	if urlEncoded[e.svc.Name][s.Name] {
		text = escapeRFC3986(text)
	}
	b.WriteString("<" + name + ">")
	escape(b, text)
	b.WriteString("</" + name + ">")
	return nil
}

func scalarText(s *model.Shape, v any) (string, error) {
	x, ok := protocol.Scalar(v)
	if !ok {
		return "", fmt.Errorf("want a %s, have %T", s.Type, v)
	}
	switch s.Type {
	case model.String:
		if str, ok := x.(string); ok {
			return str, nil
		}
	case model.Integer, model.Long:
		if i, ok := x.(int64); ok {
			return strconv.FormatInt(i, 10), nil
		}
	case model.Float, model.Double:
		switch f := x.(type) {
		case float64:
			return formatFloat(f), nil
		case int64:
			return strconv.FormatInt(f, 10), nil
		}
	case model.Boolean:
		if t, ok := x.(bool); ok {
			return strconv.FormatBool(t), nil
		}
	case model.Timestamp:
		if t, ok := x.(time.Time); ok {
			return t.UTC().Format(TimeFormat), nil
		}
	case model.Blob:
		switch d := x.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(d), nil
		case string:
			return base64.StdEncoding.EncodeToString([]byte(d)), nil
		}
	}
	return "", fmt.Errorf("want a %s, have %T", s.Type, v)
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func escape(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s))
}
