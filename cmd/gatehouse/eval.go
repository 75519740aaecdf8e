package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gatehouse-iam/gatehouse/evaldoc"
)

// runEval implements `gatehouse eval`: read an authorization document, print
// the decision as JSON. The exit status is 0 when the answer was printed
// (whatever the decision), 1 when the document is invalid, 2 on usage errors.
func runEval(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: gatehouse eval [FILE]") }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	in := stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse eval: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, 64<<20))
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse eval: %v\n", err)
		return 1
	}
	doc, err := evaldoc.Parse(data)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse eval: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc.Answer()); err != nil {
		fmt.Fprintf(stderr, "gatehouse eval: %v\n", err)
		return 1
	}
	return 0
}
