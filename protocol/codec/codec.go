// Package codec picks the wire protocol for a Gatehouse service: the query
// protocol for IAM and STS, JSON 1.1 for Organizations and CloudTrail,
// rest-json for Access Analyzer, as each service's model declares.
package codec

import (
	"fmt"

	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/jsonrpc"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/query"
	"github.com/gatehouse-iam/gatehouse/protocol/restjson"
)

// For returns the codec of service ("iam", "sts", "organizations",
// "accessanalyzer", "cloudtrail").
func For(service string) (protocol.Codec, error) {
	svc, err := model.Load(service)
	if err != nil {
		return nil, err
	}
	switch svc.Protocol {
	case model.ProtocolQuery:
		return query.New(svc), nil
	case model.ProtocolJSON:
		return jsonrpc.New(svc), nil
	case model.ProtocolRESTJSON:
		return restjson.New(svc), nil
	}
	return nil, fmt.Errorf("codec: %s: unsupported protocol %q", service, svc.Protocol)
}
