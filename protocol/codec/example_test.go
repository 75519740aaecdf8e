package codec_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol/codec"
)

// A handler reads the decoded, validated Params and returns a result shaped
// like the operation's output — maps here; structs with matching field
// names work too — or an AWS error.
func ExampleFor() {
	iam, _ := codec.For("iam")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := iam.Decode(r)
		if err != nil {
			iam.WriteError(w, err, "req-1")
			return
		}
		name := req.Params.String("UserName")
		if name != "alice" {
			iam.WriteError(w, awserr.Newf("NoSuchEntity", "The user with name %s cannot be found.", name), "req-1")
			return
		}
		iam.WriteResponse(w, req.Operation, map[string]any{"User": map[string]any{
			"Path": "/", "UserName": name, "UserId": "AIDAEXAMPLEEXAMPLE001",
			"Arn": "arn:aws:iam::123456789012:user/alice", "CreateDate": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		}}, "req-1")
	})
	for _, body := range []string{"Action=GetUser&Version=2010-05-08&UserName=alice", "Action=GetUser&Version=2010-05-08&UserName=bob"} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(body)))
		fmt.Println(w.Code, w.Body)
	}
	// Output:
	// 200 <GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User><Path>/</Path><UserName>alice</UserName><UserId>AIDAEXAMPLEEXAMPLE001</UserId><Arn>arn:aws:iam::123456789012:user/alice</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate></User></GetUserResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetUserResponse>
	// 404 <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message></Error><RequestId>req-1</RequestId></ErrorResponse>
}
