// Command gen writes protocol/model/data/<service>.json from botocore's
// service models (data/<service>/<version>/service-2.json.gz in the installed
// botocore package): documentation and examples are dropped, everything the
// wire protocols need is kept, member order is preserved.
//
// Usage (from protocol/model, via go generate):
//
//	go run ./gen -out data [-botocore DIR]
//
// Without -botocore, the directory is found by asking python3 where botocore
// is installed.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// versions is the model version of each service Gatehouse serves.
var versions = map[string]string{
	"iam":            "2010-05-08",
	"sts":            "2011-06-15",
	"organizations":  "2016-11-28",
	"accessanalyzer": "2019-11-01",
	"cloudtrail":     "2013-11-01",
}

func main() {
	out := flag.String("out", "data", "output directory")
	dir := flag.String("botocore", "", "botocore package directory (default: ask python3)")
	flag.Parse()
	if *dir == "" {
		b, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
		if err != nil {
			fatal(fmt.Errorf("locating botocore (pass -botocore): %w", err))
		}
		*dir = strings.TrimSpace(string(b))
	}
	for _, name := range model.Services {
		src := filepath.Join(*dir, "data", name, versions[name], "service-2.json.gz")
		def, err := convert(src)
		if err != nil {
			fatal(fmt.Errorf("%s: %w", src, err))
		}
		b, err := json.MarshalIndent(def, "", "\t")
		if err != nil {
			fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*out, name+".json"), append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// botocore's service-2.json, as much of it as Gatehouse reads.
type botoModel struct {
	Metadata struct {
		APIVersion   string `json:"apiVersion"`
		Protocol     string `json:"protocol"`
		TargetPrefix string `json:"targetPrefix"`
		JSONVersion  string `json:"jsonVersion"`
		XMLNamespace string `json:"xmlNamespace"`
		SigningName  string `json:"signingName"`
		ServiceID    string `json:"serviceId"`
	} `json:"metadata"`
	Operations map[string]struct {
		Name string `json:"name"`
		HTTP struct {
			Method       string `json:"method"`
			RequestURI   string `json:"requestUri"`
			ResponseCode int    `json:"responseCode"`
		} `json:"http"`
		Input *struct {
			Shape string `json:"shape"`
		} `json:"input"`
		Output *struct {
			Shape         string `json:"shape"`
			ResultWrapper string `json:"resultWrapper"`
		} `json:"output"`
		Errors []struct {
			Shape string `json:"shape"`
		} `json:"errors"`
	} `json:"operations"`
	Shapes map[string]botoShape `json:"shapes"`
}

type botoShape struct {
	model.ShapeDef
	Members orderedMembers `json:"members"`
}

// orderedMembers decodes a JSON object of members keeping its key order.
type orderedMembers []model.MemberDef

func (o *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var m model.MemberDef
		if err := dec.Decode(&m); err != nil {
			return err
		}
		m.Name = t.(string)
		*o = append(*o, m)
	}
	return nil
}

func convert(path string) (*model.ServiceDef, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var bm botoModel
	if err := json.Unmarshal(raw, &bm); err != nil {
		return nil, err
	}
	md := bm.Metadata
	def := &model.ServiceDef{APIVersion: md.APIVersion, Protocol: md.Protocol, TargetPrefix: md.TargetPrefix,
		JSONVersion: md.JSONVersion, XMLNamespace: md.XMLNamespace, SigningName: md.SigningName, ServiceID: md.ServiceID}
	for _, op := range bm.Operations {
		od := model.OperationDef{Name: op.Name, Method: op.HTTP.Method, RequestURI: op.HTTP.RequestURI,
			ResponseCode: op.HTTP.ResponseCode}
		if op.Input != nil {
			od.Input = op.Input.Shape
		}
		if op.Output != nil {
			od.Output, od.ResultWrapper = op.Output.Shape, op.Output.ResultWrapper
		}
		for _, e := range op.Errors {
			od.Errors = append(od.Errors, e.Shape)
		}
		def.Operations = append(def.Operations, od)
	}
	slices.SortFunc(def.Operations, func(a, b model.OperationDef) int { return strings.Compare(a.Name, b.Name) })
	for name, s := range bm.Shapes {
		sd := s.ShapeDef
		sd.Name, sd.Members = name, s.Members
		if sd.Pattern != "" {
			if _, err := model.CompilePattern(sd.Pattern); err != nil {
				fmt.Fprintf(os.Stderr, "gen: warning: %s: shape %s: pattern not enforced: %v\n", path, name, err)
			}
		}
		def.Shapes = append(def.Shapes, sd)
	}
	slices.SortFunc(def.Shapes, func(a, b model.ShapeDef) int { return strings.Compare(a.Name, b.Name) })
	return def, nil
}
