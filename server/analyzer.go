package server

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gatehouse-iam/gatehouse/analyzer"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/restjson"
)

// analyzerSigningName is IAM Access Analyzer's SigV4 service name.
const analyzerSigningName = "access-analyzer"

// analyzerAPI is Access Analyzer's rest-json codec, built on first use.
var analyzerAPI = sync.OnceValue(func() *restjson.Codec {
	return restjson.New(model.MustLoad("accessanalyzer"))
})

// isAnalyzerRequest reports whether r is meant for Access Analyzer: signed
// for access-analyzer, or sent to one of its routes.
func isAnalyzerRequest(r *http.Request) bool {
	if r.URL.Path == "/policy/validation" {
		return true
	}
	var cred string
	if strings.Contains(r.URL.RawQuery, "X-Amz-Credential") { // presigned (parsing the query costs more than looking)
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if auth := r.Header.Get("Authorization"); cred == "" && auth != "" {
		if _, after, ok := strings.Cut(auth, "Credential="); ok {
			cred, _, _ = strings.Cut(after, ",")
		}
	}
	// The scope is AKID/date/region/service/aws4_request: the service is the
	// second-to-last part.
	rest, ok := strings.CutSuffix(cred, "/aws4_request")
	if !ok || strings.Count(rest, "/") != 3 {
		return false
	}
	return rest[strings.LastIndexByte(rest, '/')+1:] == analyzerSigningName
}

// serveAnalyzer handles an Access Analyzer request. Gatehouse implements
// ValidatePolicy; the caller needs access-analyzer:ValidatePolicy on "*".
// Every request is recorded for CloudTrail, as the other services' are.
func (s *Server) serveAnalyzer(w http.ResponseWriter, r *http.Request, body []byte, requestID string) {
	api := analyzerAPI()
	now := s.now()
	rec := s.auditCall(r, analyzerSigningName, requestID, now)
	rec.OpName = "ValidatePolicy"
	fail := func(err error) {
		rec.Err = err
		if aerr := s.record(r, rec); aerr != nil {
			err = aerr
		}
		api.WriteError(w, err, requestID)
	}
	res, err := s.verifier.Verify(r, body)
	rec.Region = res.Region
	if err != nil {
		fail(err)
		return
	}
	id := res.Credential.Principal.(*identity)
	s.auditIdentity(rec, id, res.AccessKeyID)
	r.Body = io.NopCloser(bytes.NewReader(body))
	req, err := api.Decode(r)
	if err != nil {
		fail(err)
		return
	}
	rec.Operation, rec.OpName, rec.Params = req.Operation, req.Operation.Name, req.Params
	if req.Operation.Name != "ValidatePolicy" {
		fail(awserr.New("ValidationException", "Gatehouse does not support "+req.Operation.Name+"."))
		return
	}
	call := &iam.Call{Ctx: r.Context(), Account: id.principal.Account, Caller: id.principal, Params: req.Params,
		Now: now.UTC(), Context: requestContext(r, res, now)}
	if id.session != nil {
		id.session.Context(call.Context, now)
	}
	areq := &authz.Request{Principal: id.principal, Action: "access-analyzer:ValidatePolicy", Resource: "*", Context: call.Context}
	var ex authz.Explanation
	if authz.Evaluate(s.policies(id), areq, &ex) != authz.Allow {
		fail(awserr.New("AccessDeniedException", ex.Message(areq)))
		return
	}
	result, err := validatePolicy(req.Params)
	if err != nil {
		fail(err)
		return
	}
	rec.Result = result
	if err := s.record(r, rec); err != nil {
		api.WriteError(w, err, requestID)
		return
	}
	api.WriteResponse(w, req.Operation, result, requestID)
}

// validatePolicy runs ValidatePolicy: the findings of the document, a page
// of at most maxResults of them, with nextToken (the index of the next
// finding) when more remain.
func validatePolicy(p protocol.Params) (any, error) {
	typ := analyzer.PolicyType(p.String("policyType"))
	resourceType := p.String("validatePolicyResourceType")
	if resourceType != "" && typ != analyzer.ResourcePolicy {
		return nil, protocol.WithFields(awserr.New("ValidationException",
			"validatePolicyResourceType can only be specified with the RESOURCE_POLICY policy type."),
			map[string]any{"reason": "other"})
	}
	findings := analyzer.Validate(p.String("policyDocument"), typ, analyzer.Options{ResourceType: resourceType})
	start := 0
	if tok := p.String("nextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(findings) {
			return nil, protocol.WithFields(awserr.New("ValidationException", "Invalid pagination token."),
				map[string]any{"reason": "other"})
		}
		start = n
	}
	end := len(findings)
	if max, ok := p.Int("maxResults"); ok && max > 0 && int64(end-start) > max {
		end = start + int(max)
	}
	out := map[string]any{"findings": findings[start:end]}
	if end < len(findings) {
		out["nextToken"] = strconv.Itoa(end)
	}
	return out, nil
}
