package gateway

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// Identity headers the gateway sets on allowed requests. Any header with
// the X-Gatehouse- prefix that a client sends is removed first, so the
// upstream can trust them.
const (
	HeaderPrincipalARN = "X-Gatehouse-Principal-Arn"
	HeaderAccount      = "X-Gatehouse-Principal-Account"
	HeaderType         = "X-Gatehouse-Principal-Type"
	headerPrefix       = "X-Gatehouse-"
)

// DefaultMaxBody is the largest request body the gateway reads to verify
// a signature: the decision API's own limit, less room for base64.
const DefaultMaxBody = 1 << 20

// Config configures Middleware and NewProxy.
type Config struct {
	Routes  *Routes
	Decider Decider
	// MaxBody is the largest request body accepted (DefaultMaxBody when 0).
	MaxBody int64
	// Now is the clock for aws:CurrentTime (time.Now when nil).
	Now func() time.Time
}

type principalKey struct{}

// PrincipalFrom returns the caller the middleware authenticated, for
// handlers behind Middleware.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Middleware authenticates and authorizes every request before next sees
// it: a path with "." or ".." segments is refused (400 InvalidURI), the
// route gives the action and resource (no route: 404), the Decider
// verifies the SigV4 signature and decides with the context keys
// aws:SourceIp, aws:SecureTransport, aws:CurrentTime, aws:EpochTime and
// aws:RequestedRegion plus the route's own. Denials get 403 and AWS's
// AccessDenied XML; allowed requests reach next with the X-Gatehouse-*
// identity headers set (and PrincipalFrom on their context).
func Middleware(cfg Config) func(http.Handler) http.Handler {
	maxBody := cfg.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hasDotSegment(r.URL.Path) {
				writeError(w, &awserr.Error{Code: "InvalidURI", Message: "Couldn't parse the specified URI.", Status: http.StatusBadRequest})
				return
			}
			m, ok := cfg.Routes.Match(r)
			if !ok {
				writeError(w, &awserr.Error{Code: "NotFound", Message: "No route matches " + r.Method + " " + r.URL.Path + ".", Status: http.StatusNotFound})
				return
			}
			body, err := readBody(r, maxBody)
			if err != nil {
				writeError(w, err)
				return
			}
			q := &Question{Request: r, Body: body, Action: m.Action, Resource: m.Resource, Context: requestContext(r, m.Context, now())}
			ans, err := cfg.Decider.Decide(r.Context(), q)
			if err != nil {
				if awserr.As(err) == nil {
					err = &awserr.Error{Code: "ServiceUnavailable", Message: "The authorization service is unavailable.", Status: http.StatusServiceUnavailable}
				}
				writeError(w, err)
				return
			}
			if !ans.Allowed() {
				msg := ans.Message
				if msg == "" {
					msg = "Access Denied"
				}
				writeError(w, &awserr.Error{Code: "AccessDenied", Message: msg, Status: http.StatusForbidden})
				return
			}
			for k := range r.Header {
				if strings.HasPrefix(k, headerPrefix) {
					delete(r.Header, k)
				}
			}
			setIdentity(r.Header, ans.Principal)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, ans.Principal)))
		})
	}
}

// setIdentity sets the identity headers.
func setIdentity(h http.Header, p Principal) {
	h[HeaderPrincipalARN] = []string{p.ARN}
	h[HeaderAccount] = []string{p.Account}
	h[HeaderType] = []string{p.Type}
}

// NewProxy returns a reverse proxy to upstream guarded by Middleware(cfg).
// Its connections to the upstream are kept alive and pooled. The identity
// headers are set again after the proxy has removed hop-by-hop headers, so
// a client's Connection header cannot strip them.
func NewProxy(upstream *url.URL, cfg Config) http.Handler {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.SetXForwarded()
			if p, ok := PrincipalFrom(pr.In.Context()); ok {
				setIdentity(pr.Out.Header, p)
			}
		},
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			writeError(w, &awserr.Error{Code: "BadGateway", Message: "The upstream service did not answer.", Status: http.StatusBadGateway})
		},
	}
	return Middleware(cfg)(rp)
}

// hasDotSegment reports whether path has a "." or ".." segment. Such
// requests are refused: the route and the resource ARN would name the path
// as written while an upstream that cleans paths would serve another one.
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// readBody reads r's body (at most max bytes) and puts it back for the
// next handler.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, &awserr.Error{Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed size.", Status: http.StatusRequestEntityTooLarge}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, &awserr.Error{Code: "IncompleteBody", Message: "The request body could not be read.", Status: http.StatusBadRequest}
	}
	if int64(len(body)) > max {
		return nil, &awserr.Error{Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed size.", Status: http.StatusRequestEntityTooLarge}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return body, nil
}

// requestContext is the global condition keys of r plus the route's keys.
func requestContext(r *http.Request, route map[string][]string, now time.Time) map[string][]string {
	ctx := make(map[string][]string, len(route)+5)
	for k, v := range route {
		ctx[k] = v
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx["aws:SourceIp"] = []string{ip}
	}
	ctx["aws:SecureTransport"] = []string{strconv.FormatBool(r.TLS != nil)}
	now = now.UTC()
	ctx["aws:CurrentTime"] = []string{now.Format(time.RFC3339)}
	ctx["aws:EpochTime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	if region := signedRegion(r); region != "" {
		ctx["aws:RequestedRegion"] = []string{region}
	}
	return ctx
}

// signedRegion is the region of the request's credential scope
// ("AKID/20260101/us-east-1/service/aws4_request"), from the
// Authorization header or the presigned X-Amz-Credential parameter. The
// Decider verifies the signature over it.
func signedRegion(r *http.Request) string {
	scope := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, rest, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		scope, _, _ = strings.Cut(rest, ",")
	} else if strings.Contains(r.URL.RawQuery, "X-Amz-Credential") {
		scope = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(scope, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}

// errorBody is AWS's REST-XML error document.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// writeError answers with err as AWS's XML error (S3's shape).
func writeError(w http.ResponseWriter, err error) {
	e := awserr.As(err)
	if e == nil {
		e = awserr.New("InternalFailure", "An internal error occurred.")
	}
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	id := uuid.NewString()
	out, _ := xml.Marshal(errorBody{Code: e.Code, Message: e.Message, RequestID: id})
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("x-amzn-RequestId", id)
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(out)
}
