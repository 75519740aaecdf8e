package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// apiVersion is the IAM query-protocol version every request names.
const apiVersion = "2010-05-08"

// maxErrorBody bounds how much of an error response is kept for diagnostics.
const maxErrorBody = 512

// client sends SigV4-signed requests (IAM query protocol, or JSON to the
// decision API) over one keep-alive connection pool.
type client struct {
	http   *http.Client
	iam    target // the IAM query API, for setup and the IAM operations
	cred   sigv4.Credential
	region string
}

// target is where and how requests are sent.
type target struct {
	url, service, contentType string
}

// newClient returns a client for endpoint whose pool keeps up to conns idle
// connections open, so that every worker reuses its own connection.
func newClient(endpoint, accessKey, secretKey, region string, conns int) (*client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: want http://HOST:PORT or https://HOST:PORT", endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{
		http:   &http.Client{Transport: tr},
		iam:    target{url: u.String(), service: "iam", contentType: "application/x-www-form-urlencoded; charset=utf-8"},
		cred:   sigv4.Credential{AccessKeyID: accessKey, SecretAccessKey: secretKey},
		region: region,
	}, nil
}

// form returns the query-protocol body of action with the given parameters
// (name, value pairs).
func form(action string, params ...string) []byte {
	v := url.Values{"Action": {action}, "Version": {apiVersion}}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return []byte(v.Encode())
}

// decisionAPI is the target of the Authorize operations: Gatehouse's
// decision API on the same listener as IAM.
func (c *client) decisionAPI() target {
	u, _ := url.Parse(c.iam.url)
	u.Path = "/_gatehouse/v1/authorize"
	return target{url: u.String(), service: "gatehouse", contentType: "application/json"}
}

// send posts an IAM query-protocol body; see post.
func (c *client) send(ctx context.Context, body []byte) (int, []byte, error) {
	return c.post(ctx, c.iam, body)
}

// post signs body with the current time and posts it to t. It returns the
// HTTP status and, for a status outside 2xx, the start of the response
// body; a successful response body is read to the end and dropped so that
// the connection goes back to the pool.
func (c *client) post(ctx context.Context, t target, body []byte) (int, []byte, error) {
	return c.exchange(ctx, t, body, false)
}

// exchange is post; with keep, it returns a successful response's whole
// body too.
func (c *client) exchange(ctx context.Context, t target, body []byte, keep bool) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", t.contentType)
	if err := sigv4.Sign(req, body, c.cred, c.region, t.service, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var errBody []byte
	if keep && resp.StatusCode/100 == 2 {
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		errBody, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if err != nil {
			return 0, nil, err
		}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, errBody, nil
}

// close drops the idle connections.
func (c *client) close() { c.http.CloseIdleConnections() }
