package evaldoc

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse and evaluates whatever it
// accepts: nothing may panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"request": {"principal": {"type": "anonymous"}, "action": "s3:GetObject"}}`))
	f.Add([]byte(`{"policies": {"identity": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}],
	  "scps": {"target_account": "1", "levels": [{"id": "r", "policies": ["{}"]}]}},
	  "org": {"org_id": "o-1"}, "requests": [{"principal": {"type": "iam_user", "arn": "arn:aws:iam::1:user/a"}, "action": "a:b",
	  "context": {"k": ["1", 2, true]}}]}`))
	if files, _ := filepath.Glob("../authz/testdata/golden/*.json"); len(files) > 0 {
		if data, err := os.ReadFile(files[0]); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			return
		}
		doc.Answer()
	})
}
