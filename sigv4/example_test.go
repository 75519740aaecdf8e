package sigv4_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

func ExampleVerifier() {
	secrets := map[string]string{"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	v := &sigv4.Verifier{
		Lookup: func(_ context.Context, accessKeyID, sessionToken string) (sigv4.Credential, error) {
			secret, ok := secrets[accessKeyID]
			if !ok || sessionToken != "" {
				return sigv4.Credential{}, awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
			}
			return sigv4.Credential{AccessKeyID: accessKeyID, SecretAccessKey: secret, Principal: "user/alice"}, nil
		},
		Services: []string{"iam", "sts"},
	}

	// A request signed as an SDK signs it; a server reads the whole body
	// before verifying.
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	r := httptest.NewRequest("POST", "http://localhost:8080/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	cred := sigv4.Credential{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: secrets["AKIAIOSFODNN7EXAMPLE"]}
	if err := sigv4.Sign(r, body, cred, "us-east-1", "sts", time.Now()); err != nil {
		panic(err)
	}

	res, err := v.Verify(r, body)
	fmt.Println(res.Credential.Principal, res.Service, res.Region, err)

	// The same request without its signature.
	r.Header.Del("Authorization")
	_, err = v.Verify(r, body)
	fmt.Println(sigv4.IsMissingAuthentication(err), err)
	// Output:
	// user/alice sts us-east-1 <nil>
	// true MissingAuthenticationToken: Request is missing Authentication Token
}
