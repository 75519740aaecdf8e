// Command gatehouse is Gatehouse's single binary: the server and the tools
// that share its policy engine.
//
//	gatehouse serve            run the server (IAM, STS, Organizations, Access Analyzer, CloudTrail
//	                           LookupEvents and the decision API on 127.0.0.1:4566)
//	gatehouse eval [FILE]      decide an authorization document
//	gatehouse simulate         simulate decisions for a principal or policies, checked against expectations
//	gatehouse validate FILE…   check policy documents with Access Analyzer's policy checks
//	gatehouse proxy            a SigV4 gateway in front of an HTTP service
//	gatehouse audit …          export, verify and query the audit trail
//	gatehouse export / import  move a deployment between stores as JSON
package main

import (
	"fmt"
	"io"
	"os"
)

// commands maps each subcommand to its entry point, which returns the
// process exit status.
var commands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{
	"audit":    runAudit,
	"eval":     runEval,
	"export":   runExport,
	"import":   runImport,
	"proxy":    runProxy,
	"serve":    runServe,
	"simulate": runSimulate,
	"validate": runValidate,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gatehouse: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: gatehouse <command> [arguments]

commands:
  serve         run the server, on 127.0.0.1:4566 by default (flags: --addr, --data-dir,
                --ephemeral, --account-id, --root-access-key-id, --root-secret-access-key,
                --partition, --database-url; see gatehouse serve -h)
  eval [FILE]   decide an authorization document (JSON; stdin when FILE is absent or "-")
                and print the decision with its explanation
  simulate      simulate decisions for a principal (--principal ARN, through the IAM API) or for
                policy files (--policy FILE, locally), optionally checked against an --expect file
  validate      check policy documents with Access Analyzer's checks
                (--type, --format text|json|sarif, --fail-on)
  proxy         a SigV4 gateway in front of an HTTP service: --upstream URL --routes FILE
                --gatehouse URL --access-key/--secret-key [--listen ADDR] (docs/gateway.md)
  audit         export, verify and query the audit trail (gatehouse audit -h)
  export        write a deployment (or one account) as JSON
  import        load a deployment written by export
`)
}
