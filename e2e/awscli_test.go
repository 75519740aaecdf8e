package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the AWS CLI against a server with one set of credentials and
// a private HOME and config, so that no user configuration leaks in.
type awsCLI struct {
	path string
	env  []string
	dir  string // working directory and HOME
}

// newAWSCLI returns a CLI signing with the given keys; the test is skipped
// when the aws command is not installed.
func newAWSCLI(t *testing.T, endpoint, keyID, secret string) *awsCLI {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed (exec.LookPath: " + err.Error() + ")")
	}
	dir := t.TempDir()
	env := append(cleanEnv("AWS_", "HOME"),
		"HOME="+dir,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID="+keyID,
		"AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_DEFAULT_REGION="+region,
		"AWS_DEFAULT_OUTPUT=json",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
	)
	return &awsCLI{path: path, env: env, dir: dir}
}

// as returns the same CLI signing with other keys (and a session token,
// unless it is empty).
func (c *awsCLI) as(keyID, secret, token string) *awsCLI {
	env := make([]string, 0, len(c.env)+3)
	for _, kv := range c.env {
		name, _, _ := strings.Cut(kv, "=")
		if name != "AWS_ACCESS_KEY_ID" && name != "AWS_SECRET_ACCESS_KEY" && name != "AWS_SESSION_TOKEN" {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret)
	if token != "" {
		env = append(env, "AWS_SESSION_TOKEN="+token)
	}
	return &awsCLI{path: c.path, env: env, dir: c.dir}
}

// cliResult is what one CLI invocation printed.
type cliResult struct {
	args           []string
	stdout, stderr string
	code           int
}

// run runs `aws ARGS...`.
func (c *awsCLI) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // generous: loaded CI machines
	defer cancel()
	out, errOut, code := runTool(ctx, c.dir, c.env, c.path, args...)
	return cliResult{args: args, stdout: out, stderr: errOut, code: code}
}

// ok runs `aws ARGS...`, fails the test unless it succeeds, and returns
// its JSON output (nil when it printed nothing).
func (c *awsCLI) ok(t *testing.T, args ...string) map[string]any {
	t.Helper()
	r := c.run(t, args...)
	if r.code != 0 {
		t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.json(t)
}

// json decodes the standard output.
func (r cliResult) json(t *testing.T) map[string]any {
	t.Helper()
	if strings.TrimSpace(r.stdout) == "" {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(r.args, " "), err, r.stdout)
	}
	return v
}

// cliError matches the CLI's report of a service error.
var cliError = regexp.MustCompile(`An error occurred \(([^)]+)\) when calling the (\w+) operation: (.*)`)

// apiError returns the error code and message the CLI printed, or empty
// strings when the command did not fail with a service error.
func (r cliResult) apiError() (code, message string) {
	m := cliError.FindStringSubmatch(r.stderr)
	if r.code == 0 || m == nil {
		return "", ""
	}
	return m[1], strings.TrimSpace(m[3])
}

// field walks a decoded JSON value along keys and list indexes.
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// writeFile writes a file into dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
