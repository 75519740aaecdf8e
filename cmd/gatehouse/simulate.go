package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// simRow is one decision: what was asked and what came out.
type simRow struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Decision string `json:"decision"` // allowed, explicitDeny, implicitDeny
	Expected string `json:"expected,omitempty"`
	OK       bool   `json:"ok"`
}

const simulateUsage = `usage: gatehouse simulate (--principal ARN | --policy FILE...) [flags]

Simulates IAM decisions. With --principal (a user, group or role ARN) it asks the IAM API
(SimulatePrincipalPolicy) at the endpoint the AWS SDK is configured for (AWS_ENDPOINT_URL, or
--endpoint); with --policy it evaluates the given identity policies locally with Gatehouse's
engine, or remotely (SimulateCustomPolicy) when --endpoint is given.

An --expect file lists expected decisions, one per line: ACTION RESOURCE DECISION, where DECISION is
allowed, explicitDeny, implicitDeny or denied (either deny); '#' starts a comment. The command exits
with status 1 when any decision differs, so CI can assert, for example, that a deploy role cannot call
iam:CreateUser.
`

// runSimulate implements `gatehouse simulate`.
func runSimulate(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, simulateUsage); fs.PrintDefaults() }
	var policies, boundaries, actions, resources, contexts listFlag
	principal := fs.String("principal", "", "ARN of the user, group or role whose policies to simulate")
	fs.Var(&policies, "policy", "identity policy file (repeatable)")
	fs.Var(&boundaries, "boundary", "permissions boundary policy file")
	resourcePolicy := fs.String("resource-policy", "", "resource-based policy file")
	owner := fs.String("resource-owner", "", "account that owns the resources")
	fs.Var(&actions, "action", "action to simulate (repeatable)")
	fs.Var(&resources, "resource", "resource ARN (repeatable; default *)")
	fs.Var(&contexts, "context", "context key: KEY=VALUE[,VALUE...] (repeatable)")
	expect := fs.String("expect", "", "file of expected decisions")
	endpoint := fs.String("endpoint", "", "IAM endpoint URL (default: the SDK's configuration)")
	format := fs.String("format", "text", "output: text or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var expected []simRow
	onlyExpected := len(actions) == 0 && len(resources) == 0
	if *expect != "" {
		var err error
		if expected, err = readExpectations(*expect); err != nil {
			fmt.Fprintf(stderr, "gatehouse simulate: %v\n", err)
			return 2
		}
		for _, e := range expected {
			if !contains(actions, e.Action) {
				actions = append(actions, e.Action)
			}
			if !contains(resources, e.Resource) {
				resources = append(resources, e.Resource)
			}
		}
	}
	if (*principal == "") == (len(policies) == 0) || len(actions) == 0 {
		fs.Usage()
		return 2
	}
	if len(resources) == 0 {
		resources = listFlag{"*"}
	}
	ctxKeys, err := parseContext(contexts)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse simulate: %v\n", err)
		return 2
	}
	in := simInput{principal: *principal, actions: actions, resources: resources, context: ctxKeys, owner: *owner}
	for _, list := range []struct {
		files []string
		into  *[]string
	}{{policies, &in.policies}, {boundaries, &in.boundaries}, {[]string{*resourcePolicy}, &in.resourcePolicy}} {
		for _, f := range list.files {
			if f == "" {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "gatehouse simulate: %v\n", err)
				return 2
			}
			*list.into = append(*list.into, string(data))
		}
	}
	var rows []simRow
	if *principal != "" || *endpoint != "" {
		rows, err = simulateRemote(context.Background(), in, *endpoint)
	} else {
		rows, err = simulateLocal(in)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse simulate: %v\n", err)
		return 1
	}
	if onlyExpected && len(expected) > 0 {
		rows = expectedPairs(rows, expected)
	}
	failed := check(rows, expected)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"results": rows, "failed": failed})
	} else {
		for _, r := range rows {
			mark := "  "
			if r.Expected != "" && !r.OK {
				mark = "✗ "
			} else if r.Expected != "" {
				mark = "✓ "
			}
			fmt.Fprintf(stdout, "%s%-40s %-60s %s", mark, r.Action, r.Resource, r.Decision)
			if r.Expected != "" && !r.OK {
				fmt.Fprintf(stdout, " (expected %s)", r.Expected)
			}
			fmt.Fprintln(stdout)
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "gatehouse simulate: %d decision(s) differ from %s\n", failed, *expect)
		return 1
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// simInput is what to simulate.
type simInput struct {
	principal                            string
	policies, boundaries, resourcePolicy []string
	actions, resources                   []string
	context                              map[string][]string
	owner                                string
}

func parseContext(entries []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, e := range entries {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--context %q: want KEY=VALUE[,VALUE...]", e)
		}
		out[k] = strings.Split(v, ",")
	}
	return out, nil
}

// readExpectations reads ACTION RESOURCE DECISION lines.
func readExpectations(path string) ([]simRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []simRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want ACTION RESOURCE DECISION", path, n)
		}
		switch fields[2] {
		case "allowed", "explicitDeny", "implicitDeny", "denied":
		default:
			return nil, fmt.Errorf("%s:%d: decision %q is not allowed, explicitDeny, implicitDeny or denied", path, n, fields[2])
		}
		rows = append(rows, simRow{Action: fields[0], Resource: fields[1], Expected: fields[2]})
	}
	return rows, sc.Err()
}

// expectedPairs keeps the results for the (action, resource) pairs of the
// expectations, when those are all that was asked.
func expectedPairs(rows, expected []simRow) []simRow {
	var out []simRow
	for _, r := range rows {
		for _, e := range expected {
			if r.Action == e.Action && r.Resource == e.Resource {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// check marks each result against its expectation and counts mismatches.
func check(rows []simRow, expected []simRow) int {
	failed := 0
	for _, e := range expected {
		found := false
		for i := range rows {
			r := &rows[i]
			if r.Action != e.Action || r.Resource != e.Resource {
				continue
			}
			found = true
			r.Expected = e.Expected
			r.OK = r.Decision == e.Expected || e.Expected == "denied" && r.Decision != "allowed"
			if !r.OK {
				failed++
			}
		}
		if !found {
			failed++
		}
	}
	return failed
}

// simulateLocal evaluates custom policies with the engine, without a server.
func simulateLocal(in simInput) ([]simRow, error) {
	compile := func(docs []string, prefix string, kind policy.Kind) (*policy.Set, error) {
		var list []*policy.Compiled
		for i, d := range docs {
			c, err := policy.ParseAndCompile(fmt.Sprintf("%s.%d", prefix, i+1), d, kind)
			if err != nil {
				return nil, fmt.Errorf("%s %d: %w", prefix, i+1, err)
			}
			list = append(list, c)
		}
		return policy.NewSet(list...), nil
	}
	pol := &authz.Policies{}
	var err error
	if pol.Identity, err = compile(in.policies, "PolicyInputList", policy.Identity); err != nil {
		return nil, err
	}
	if len(in.boundaries) > 0 {
		if pol.Boundary, err = compile(in.boundaries, "PermissionsBoundaryPolicyInputList", policy.Identity); err != nil {
			return nil, err
		}
	}
	if len(in.resourcePolicy) > 0 {
		if pol.Resource, err = compile(in.resourcePolicy, "ResourcePolicy", policy.Resource); err != nil {
			return nil, err
		}
	}
	account := in.owner
	if account == "" {
		account = "123456789012"
	}
	principal := (&authz.Principal{Type: authz.User, Account: account,
		ARN: "arn:aws:iam::" + account + ":user/simulated", Username: "simulated"}).Prepare()
	ctx := authz.Context{}
	for k, v := range in.context {
		ctx.Set(k, v...)
	}
	var rows []simRow
	for _, a := range in.actions {
		for _, r := range in.resources {
			d := authz.Evaluate(pol, &authz.Request{Principal: principal, Action: a, Resource: r, ResourceAccount: in.owner, Context: ctx}, nil)
			rows = append(rows, simRow{Action: a, Resource: r, Decision: map[authz.Decision]string{
				authz.Allow: "allowed", authz.ExplicitDeny: "explicitDeny", authz.ImplicitDeny: "implicitDeny"}[d]})
		}
	}
	return rows, nil
}

// simulateRemote asks an IAM endpoint (Gatehouse or AWS).
func simulateRemote(ctx context.Context, in simInput, endpoint string) ([]simRow, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	var entries []types.ContextEntry
	for k, v := range in.context {
		entries = append(entries, types.ContextEntry{ContextKeyName: aws.String(k), ContextKeyValues: v, ContextKeyType: types.ContextKeyTypeEnumStringList})
	}
	var owner *string
	if in.owner != "" {
		owner = aws.String(in.owner)
	}
	var resourcePolicy *string
	if len(in.resourcePolicy) > 0 {
		resourcePolicy = aws.String(in.resourcePolicy[0])
	}
	var results []types.EvaluationResult
	if in.principal != "" {
		p := iamsdk.NewSimulatePrincipalPolicyPaginator(client, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(in.principal),
			PolicyInputList: in.policies, PermissionsBoundaryPolicyInputList: in.boundaries, ActionNames: in.actions,
			ResourceArns: in.resources, ContextEntries: entries, ResourceOwner: owner, ResourcePolicy: resourcePolicy})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			results = append(results, out.EvaluationResults...)
		}
	} else {
		p := iamsdk.NewSimulateCustomPolicyPaginator(client, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: in.policies,
			PermissionsBoundaryPolicyInputList: in.boundaries, ActionNames: in.actions, ResourceArns: in.resources,
			ContextEntries: entries, ResourceOwner: owner, ResourcePolicy: resourcePolicy})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			results = append(results, out.EvaluationResults...)
		}
	}
	if len(results) == 0 {
		return nil, errors.New("the endpoint returned no evaluation results")
	}
	rows := make([]simRow, 0, len(results))
	for _, r := range results {
		rows = append(rows, simRow{Action: aws.ToString(r.EvalActionName), Resource: aws.ToString(r.EvalResourceName), Decision: string(r.EvalDecision)})
	}
	return rows, nil
}
