package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// decodeWithJSON is what the decision API decoded with before its scanner:
// encoding/json, unknown fields disallowed. It is the reference.
func decodeWithJSON(body []byte) (*authorizeBody, error) {
	in := new(authorizeBody)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return nil, err
	}
	return in, nil
}

// scanned runs the scanner alone.
func scanned(body []byte) (*authorizeBody, bool) {
	in := new(authorizeBody)
	sc := bodyScanner{data: string(body)}
	return in, sc.body(in)
}

// checkDecode checks decodeAuthorizeBody against encoding/json, and that the
// scanner's own answers (when it gives one) are encoding/json's.
func checkDecode(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := decodeWithJSON(body)
	if in, ok := scanned(body); ok && (wantErr != nil || !reflect.DeepEqual(in, want)) {
		t.Fatalf("scanner on %q:\n got %#v\nwant %#v (error %v)", body, in, want, wantErr)
	}
	got, err := decodeAuthorizeBody(body)
	switch {
	case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
		t.Fatalf("%q: error %v, want %v", body, err, wantErr)
	case !reflect.DeepEqual(got, want):
		t.Fatalf("%q:\n got %#v\nwant %#v", body, got, want)
	}
}

// scannedBodies are bodies the scanner reads itself.
var scannedBodies = []string{
	`{"principal_arn":"arn:aws:iam::123456789012:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":{"aws:SecureTransport":true}}`,
	`{"principal_arn":"arn:aws:iam::123456789012:user/alice","requests":[{"action":"s3:GetObject","resource":"arn:aws:s3:::b/1","context":{"aws:SourceIp":"10.1.2.3","n":1}},
	  {"action":"s3:PutObject","resource":"arn:aws:s3:::b/2","context":{"aws:SourceIp":"10.1.2.3","n":1}},
	  {"action":"s3:PutObject","resource":"arn:aws:s3:::b/3","resource_account":"111122223333","context":{"aws:SourceIp":"10.9.9.9"}}]}`,
	" \t\r\n{ \"requests\" : [ { \"action\" : \"a:b\" , \"context\" : { \"k\" : [ 1 , \"x\" , false ] } } ] , \"principal_arn\" : \"p\" } \n",
	`{"requests":[]}`,
	`{"requests":[{}],"action":"ignored:InABatch","context":{}}`,
	`{"context":{"list":[],"one":["a"],"dup":1,"dup":2,"Dup":3}}`,
	`{"context":{"n":[0,-0,1.0,1.50,1e3,1E-2,-12.5e+2,12345678901234567890,0.1]}}`,
	`{"context":{"s":"caf\u00e9 \"q\" \\ \/ \b\f\n\r\t","u":"日本","pair":"\ud83d\ude00","lone":"\ud800x","lone2":"\udc00\ud800\u0041","bad":"` + "\xff\xfe\xed\xa0\x80" + `"}}`,
	`{"signed_request":{"method":"GET","url":"https://h.example/p?a=1\u0026b=2","headers":{"Host":"h.example","X-Amz-Date":"20260101T000000Z","Host":"other"},"body":""},"action":"s3:GetObject"}`,
	`{"signed_request":{},"action":"s3:GetObject"}`,
	`{}`,
}

// leftBodies are bodies the scanner leaves to encoding/json (which accepts
// some and refuses others).
var leftBodies = []string{
	``,
	`  `,
	`[]`,
	`null`,
	`{"principal_arn":null}`,
	`{"Action":"s3:GetObject"}`,
	`{"\u0061ction":"s3:GetObject"}`,
	`{"unknown":1}`,
	`{"action":"a","action":"b"}`,
	`{"requests":[{"action":"a"}],"requests":[{"resource":"r"}]}`,
	`{"requests":[null]}`,
	`{"requests":null}`,
	`{"signed_request":null}`,
	`{"context":null}`,
	`{"context":{"k":null}}`,
	`{"context":{"k":{"b":1,"a":[2]}}}`,
	`{"context":{"k":[[1]]}}`,
	`{"context":{"k":1e400}}`,
	`{"context":{"k":01}}`,
	`{"context":{"k":1.}}`,
	`{"context":{"k":-}}`,
	`{"context":{"k":tru}}`,
	`{"context":{"k":truex}}`,
	"{\"action\":\"a\x01\"}",
	`{"action":"a\qb"}`,
	`{"action":"\u12G4"}`,
	`{"action":"unterminated`,
	`{"action":5}`,
	`{"requests":{}}`,
	`{"action":"a"} trailing`,
	`{"action":"a"}{"action":"b"}`,
	`{"action":"a",}`,
	`{"action" "a"}`,
	`{"signed_request":{"headers":{"a":1}}}`,
}

func TestDecodeAuthorizeBody(t *testing.T) {
	for _, body := range scannedBodies {
		if _, ok := scanned([]byte(body)); !ok {
			t.Errorf("the scanner does not read %s", body)
		}
		checkDecode(t, []byte(body))
	}
	for _, body := range leftBodies {
		if _, ok := scanned([]byte(body)); ok {
			t.Errorf("the scanner reads %s", body)
		}
		checkDecode(t, []byte(body))
	}
}

// TestDecodeSharesContext checks that a batch's repeated context is decoded
// once.
func TestDecodeSharesContext(t *testing.T) {
	in, err := decodeAuthorizeBody([]byte(`{"requests":[{"action":"a:b","context":{"k":"v"}},{"action":"a:c","context":{"k":"v"}},{"action":"a:d","context":{"k":"w"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := in.Requests
	if reflect.ValueOf(c[0].Context).UnsafePointer() != reflect.ValueOf(c[1].Context).UnsafePointer() ||
		reflect.ValueOf(c[1].Context).UnsafePointer() == reflect.ValueOf(c[2].Context).UnsafePointer() {
		t.Errorf("contexts %v", c)
	}
}

// FuzzDecodeAuthorizeBody checks the scanner against encoding/json.
func FuzzDecodeAuthorizeBody(f *testing.F) {
	for _, body := range append(scannedBodies, leftBodies...) {
		f.Add([]byte(body))
	}
	f.Fuzz(checkDecode)
}

// BenchmarkDecodeAuthorizeBody reads a batch of 100 questions with the
// scanner and with encoding/json.
func BenchmarkDecodeAuthorizeBody(b *testing.B) {
	var qs []string
	for i := range 100 {
		qs = append(qs, `{"action":"s3:GetObject","resource":"arn:aws:s3:::my-app-artifacts/alice/obj-`+strconv.Itoa(i)+
			`.bin","context":{"aws:SecureTransport":true,"aws:RequestedRegion":"eu-west-1","aws:SourceIp":"10.1.2.3"}}`)
	}
	body := []byte(`{"principal_arn":"arn:aws:iam::123456789012:user/alice","requests":[` + strings.Join(qs, ",") + `]}`)
	for _, bm := range []struct {
		name   string
		decode func([]byte) (*authorizeBody, error)
	}{{"scanner", decodeAuthorizeBody}, {"encoding-json", decodeWithJSON}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
