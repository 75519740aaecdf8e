package sigv4

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// Interoperability with botocore (the AWS CLI and boto3): requests its
// SigV4Auth and SigV4QueryAuth sign must verify. Skipped when python3 with
// botocore is not installed.

const botocoreSigner = `
import json, sys, urllib.parse
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for s in json.load(sys.stdin):
    creds = Credentials(s["key"], s["secret"], s["token"] or None)
    data = s["body"] or None
    if data and s["expires"]:
        # botocore's query serializer hands the presigner a dict, not a body.
        data = dict(urllib.parse.parse_qsl(data))
    req = AWSRequest(method=s["method"], url=s["url"], data=data, headers=s["headers"])
    if s["expires"]:
        auth = SigV4QueryAuth(creds, s["service"], s["region"], expires=s["expires"])
    else:
        auth = SigV4Auth(creds, s["service"], s["region"])
    auth.add_auth(req)
    p = req.prepare()
    body = p.body or b""
    if isinstance(body, str):
        body = body.encode()
    out.append({"method": p.method, "url": p.url, "headers": dict(p.headers), "body": body.decode()})
print(json.dumps(out))
`

type botocoreSpec struct {
	Name    string            `json:"-"`
	Key     string            `json:"key"`
	Secret  string            `json:"secret"`
	Token   string            `json:"token"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
	Service string            `json:"service"`
	Region  string            `json:"region"`
	Expires int               `json:"expires"` // presign when non-zero
}

type botocoreSigned struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func TestBotocore(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
		t.Skip("botocore not installed")
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
	specs := []botocoreSpec{
		{Name: "IAM form POST", Key: testKey, Secret: testSecret, Method: "POST", URL: "http://127.0.0.1:8080/",
			Body: "Action=CreateUser&UserName=alice&Path=%2Fdivision%2F&Version=2010-05-08", Headers: form, Service: "iam", Region: "us-east-1"},
		{Name: "STS form POST with session token", Key: tempKey, Secret: tempSecret, Token: tempToken, Method: "POST", URL: "https://localhost:9443/",
			Body: "Action=GetCallerIdentity&Version=2011-06-15", Headers: form, Service: "sts", Region: "eu-west-3"},
		{Name: "GET with encoded query", Key: testKey, Secret: testSecret, Method: "GET",
			URL: "http://localhost/?b=two%20words&a=x%3Dy&tilde=~a~&slash=%2Fp&uni=%E1%88%B4&empty=", Service: "execute-api", Region: "us-west-2"},
		{Name: "path with dot segments and double slashes", Key: testKey, Secret: testSecret, Method: "GET",
			URL: "http://localhost/a/./b/../c//d/", Service: "access-analyzer", Region: "us-east-1"},
		{Name: "path with escapes", Key: testKey, Secret: testSecret, Method: "GET",
			URL: "http://localhost/a%20b/%C3%A9/~x", Service: "access-analyzer", Region: "us-east-1"},
		{Name: "presigned GET", Key: testKey, Secret: testSecret, Method: "GET",
			URL: "http://localhost/?Action=GetCallerIdentity&Version=2011-06-15", Service: "sts", Region: "us-east-1", Expires: 60},
		{Name: "presigned IAM form POST", Key: tempKey, Secret: tempSecret, Token: tempToken, Method: "POST", URL: "http://localhost:8080/",
			Body: "Action=ListUsers&Version=2010-05-08", Headers: form, Service: "iam", Region: "us-east-1", Expires: 900},
	}
	for i := range specs {
		if specs[i].Headers == nil {
			specs[i].Headers = map[string]string{}
		}
	}
	in, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", botocoreSigner)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("botocore signer: %v\n%s", err, stderr.String())
	}
	var signed []botocoreSigned
	if err := json.Unmarshal(out, &signed); err != nil || len(signed) != len(specs) {
		t.Fatalf("botocore output (%v): %s", err, out)
	}

	v := testVerifier()
	v.Now = nil // botocore signs with the real clock
	for i, s := range signed {
		t.Run(specs[i].Name, func(t *testing.T) {
			var body io.Reader
			if s.Body != "" {
				body = strings.NewReader(s.Body)
			}
			r, err := http.NewRequest(s.Method, s.URL, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, val := range s.Headers {
				r.Header.Set(k, val)
			}
			if r.Header.Get("Host") != "" {
				r.Host = r.Header.Get("Host")
			}
			sr, b := overTheWire(t, r)
			res, err := v.Verify(sr, b)
			if err != nil {
				t.Fatalf("Verify: %v\nrequest: %s %s\nheaders: %v", err, s.Method, s.URL, s.Headers)
			}
			if res.Presigned != (specs[i].Expires != 0) || res.Service != specs[i].Service || res.Region != specs[i].Region ||
				res.SessionToken != specs[i].Token {
				t.Errorf("result = %+v", res)
			}
		})
	}
}
