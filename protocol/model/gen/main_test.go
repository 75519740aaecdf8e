package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// The embedded data must be what gen makes from the installed botocore
// models; run `go generate ./protocol/model` after a botocore upgrade.
func TestDataIsFresh(t *testing.T) {
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("botocore not installed:", err)
	}
	dir := strings.TrimSpace(string(out))
	for _, name := range model.Services {
		src := filepath.Join(dir, "data", name, versions[name], "service-2.json.gz")
		if _, err := os.Stat(src); err != nil {
			t.Skipf("%s: %v", src, err)
		}
		def, err := convert(src)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.MarshalIndent(def, "", "\t")
		got, err := os.ReadFile(filepath.Join("..", "data", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want)+"\n" {
			t.Errorf("data/%s.json is stale: run go generate ./protocol/model", name)
		}
	}
}
