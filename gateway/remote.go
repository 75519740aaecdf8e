package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// Remote decides through Gatehouse's decision API (POST
// /_gatehouse/v1/authorize): it sends the end user's signed request for
// Gatehouse to verify, signed itself with the calling service's credential
// (signing name "gatehouse"), which must be allowed gatehouse:Authorize.
type Remote struct {
	endpoint string // base URL, no trailing slash
	cred     sigv4.Credential
	region   string
	client   *http.Client
}

// NewRemote returns a Remote for the Gatehouse at endpoint (e.g.
// "http://127.0.0.1:4566"), signing with cred in region. Its connections
// are kept alive and pooled.
func NewRemote(endpoint string, cred sigv4.Credential, region string) *Remote {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	return &Remote{endpoint: strings.TrimRight(endpoint, "/"), cred: cred, region: region,
		client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// remoteBody is the decision API's request body.
type remoteBody struct {
	SignedRequest remoteSigned   `json:"signed_request"`
	Action        string         `json:"action"`
	Resource      string         `json:"resource"`
	Context       map[string]any `json:"context,omitempty"`
}

type remoteSigned struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// remoteAnswer is the part of the decision API's answer the gateway uses.
type remoteAnswer struct {
	Principal Principal `json:"principal"`
	Decision  string    `json:"decision"`
	Message   string    `json:"message"` // a denial's sentence, or an error's message
	Type      string    `json:"__type"`  // an error's code
}

// Decide asks the decision API.
func (rm *Remote) Decide(ctx context.Context, q *Question) (*Answer, error) {
	r := q.Request
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	headers := make(map[string]string, len(r.Header)+1)
	for k, v := range r.Header {
		headers[k] = strings.Join(v, ",")
	}
	headers["Host"] = r.Host
	in := remoteBody{
		SignedRequest: remoteSigned{Method: r.Method, URL: scheme + "://" + r.Host + r.URL.RequestURI(), Headers: headers,
			Body: base64.StdEncoding.EncodeToString(q.Body)},
		Action: q.Action, Resource: q.Resource,
	}
	if len(q.Context) > 0 {
		in.Context = make(map[string]any, len(q.Context))
		for k, v := range q.Context {
			if len(v) == 1 {
				in.Context[k] = v[0]
			} else {
				in.Context[k] = v
			}
		}
	}
	body, err := json.Marshal(&in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rm.endpoint+"/_gatehouse/v1/authorize", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sigv4.Sign(req, body, rm.cred, rm.region, "gatehouse", time.Now()); err != nil {
		return nil, err
	}
	resp, err := rm.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("decision API: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("decision API: %w", err)
	}
	var out remoteAnswer
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decision API: status %d: %.200s", resp.StatusCode, raw)
	}
	switch {
	case resp.StatusCode == http.StatusOK && out.Decision != "":
		return &Answer{Principal: out.Principal, Decision: out.Decision, Message: out.Message}, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && out.Type != "":
		return nil, &awserr.Error{Code: out.Type, Message: out.Message, Status: resp.StatusCode}
	}
	return nil, fmt.Errorf("decision API: status %d: %.200s", resp.StatusCode, raw)
}
