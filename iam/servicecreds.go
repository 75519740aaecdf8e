package iam

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindServiceCred is a service-specific credential of a user; ID: the
// credential id; Parent: the user's UserId.
const kindServiceCred = "iam.servicecred"

// serviceCredsPerService is how many credentials a user may have for one
// service.
const serviceCredsPerService = 2

// credentialStyle is the kind of secret a service's credentials carry.
type credentialStyle int

const (
	// passwordStyle: a user name "<user>-at-<account>" and a generated
	// password (CodeCommit Git credentials, Keyspaces).
	passwordStyle credentialStyle = iota + 1
	// apiKeyStyle: a long-term API key, a public alias and a secret that may
	// expire after CredentialAgeDays (Bedrock, CloudWatch Logs).
	apiKeyStyle
)

// credentialServices are the services IAM issues service-specific
// credentials for.
var credentialServices = map[string]credentialStyle{
	"codecommit.amazonaws.com": passwordStyle,
	"cassandra.amazonaws.com":  passwordStyle,
	"bedrock.amazonaws.com":    apiKeyStyle,
	"logs.amazonaws.com":       apiKeyStyle,
}

// ServiceCredential is a service-specific credential: a secret a user
// authenticates to one service with. The secret is kept sealed and returned
// only by Create and Reset.
type ServiceCredential struct {
	ServiceSpecificCredentialId string
	ServiceName                 string
	ServiceUserName             string `json:",omitempty"` // password style
	ServiceCredentialAlias      string `json:",omitempty"` // API key style
	SecretSealed                []byte // bound to the credential id
	Status                      string // Active or Inactive as set; Expired is computed
	CreateDate                  time.Time
	ExpirationDate              *time.Time `json:",omitempty"`
}

func init() {
	register(
		&Operation{Name: "CreateServiceSpecificCredential", Resource: newServiceCredResource, Handle: createServiceCred},
		&Operation{Name: "ListServiceSpecificCredentials", Resource: listServiceCredsResource, Handle: listServiceCreds},
		&Operation{Name: "UpdateServiceSpecificCredential", Resource: serviceCredResource, Handle: updateServiceCred},
		&Operation{Name: "ResetServiceSpecificCredential", Resource: serviceCredResource, Handle: resetServiceCred},
		&Operation{Name: "DeleteServiceSpecificCredential", Resource: serviceCredResource, Handle: deleteServiceCred},
	)
}

func serviceCredMissing(id string) string {
	return "No such credential " + id + " exists"
}

func notSupportedService(name string) error {
	return awserr.New("NotSupportedService", "No such service "+name+" is supported for Service-Specific Credentials")
}

func newServiceCredResource(s *Service, c *Call) string {
	c.Context.Set("iam:ServiceSpecificCredentialServiceName", c.Params.String("ServiceName"))
	if days, ok := c.Params.Int("CredentialAgeDays"); ok {
		c.Context.Set("iam:ServiceSpecificCredentialAgeDays", strconv.FormatInt(days, 10))
	}
	return userResource(s, c)
}

// listServiceCredsResource is the user whose credentials are listed, or
// every user of the account with AllUsers.
func listServiceCredsResource(s *Service, c *Call) string {
	if all, _ := c.Params.Bool("AllUsers"); all {
		return s.arn(c.Account, "user", "/", "*")
	}
	return selfOrUserResource(s, c)
}

// serviceCredResource is the owner's ARN, with the credential's service as
// iam:ServiceSpecificCredentialServiceName.
func serviceCredResource(s *Service, c *Call) string {
	id := c.Params.String("ServiceSpecificCredentialId")
	if sc, err := readRecord[ServiceCredential](s, c, kindServiceCred, id, ""); err == nil {
		c.Context.Set("iam:ServiceSpecificCredentialServiceName", sc.ServiceName)
	}
	return selfOrUserResource(s, c)
}

// status reports the credential's status at now: Expired past its expiry.
func (sc *ServiceCredential) status(now time.Time) string {
	if sc.ExpirationDate != nil && !now.Before(*sc.ExpirationDate) {
		return "Expired"
	}
	return sc.Status
}

// serviceCredOutput renders a credential; secret, when not "", is the
// password or API key secret to return once.
func serviceCredOutput(c *Call, userName string, sc *ServiceCredential, secret string) map[string]any {
	out := map[string]any{"UserName": userName, "ServiceSpecificCredentialId": sc.ServiceSpecificCredentialId,
		"ServiceName": sc.ServiceName, "Status": sc.status(c.Now), "CreateDate": sc.CreateDate}
	if sc.ServiceUserName != "" {
		out["ServiceUserName"] = sc.ServiceUserName
	}
	if sc.ServiceCredentialAlias != "" {
		out["ServiceCredentialAlias"] = sc.ServiceCredentialAlias
	}
	if sc.ExpirationDate != nil {
		out["ExpirationDate"] = *sc.ExpirationDate
	}
	if secret != "" {
		if credentialServices[sc.ServiceName] == apiKeyStyle {
			out["ServiceCredentialSecret"] = secret
		} else {
			out["ServicePassword"] = secret
		}
	}
	return out
}

// newServiceSecret generates a credential's secret: a 44-character password,
// or an API key ("ABSK" and the base64 of alias:random).
func newServiceSecret(sc *ServiceCredential) string {
	if credentialServices[sc.ServiceName] == apiKeyStyle {
		return "ABSK" + base64.StdEncoding.EncodeToString([]byte(sc.ServiceCredentialAlias+":"+newSecret()))
	}
	return randomString(44, secretAlphabet)
}

func createServiceCred(s *Service, c *Call) (any, error) {
	name, service := c.Params.String("UserName"), c.Params.String("ServiceName")
	style, ok := credentialServices[service]
	if !ok {
		return nil, notSupportedService(service)
	}
	sc := &ServiceCredential{ServiceSpecificCredentialId: newAccessKeyID("ACCA"), ServiceName: service,
		Status: "Active", CreateDate: c.Now}
	if days, ok := c.Params.Int("CredentialAgeDays"); ok {
		if style != apiKeyStyle {
			return nil, awserr.New("InvalidInput", "CredentialAgeDays is only supported for API keys of Amazon Bedrock and Amazon CloudWatch Logs.")
		}
		exp := c.Now.Add(time.Duration(days) * 24 * time.Hour)
		sc.ExpirationDate = &exp
	}
	var out map[string]any
	err := s.update(c.Ctx, func(tx store.Tx) error {
		o, err := readCredOwner(c, tx, name)
		if err != nil {
			return err
		}
		creds, err := ownedBy[ServiceCredential](c, tx, kindServiceCred, o)
		if err != nil {
			return err
		}
		n := 0
		for _, other := range creds {
			if other.ServiceName == service {
				n++
			}
		}
		if n >= serviceCredsPerService {
			return awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d", serviceCredsPerService))
		}
		if style == apiKeyStyle {
			sc.ServiceCredentialAlias = o.Name + "+" + randomString(4, "0123456789") + "-at-" + c.Account
		} else {
			sc.ServiceUserName = o.Name + "-at-" + c.Account
		}
		secret := newServiceSecret(sc)
		sc.SecretSealed = s.sealer.Seal(secret, sc.ServiceSpecificCredentialId)
		out = serviceCredOutput(c, o.Name, sc, secret)
		return put(c.Ctx, tx, kindServiceCred, c.Account, sc.ServiceSpecificCredentialId, o.Parent, sc, true)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"ServiceSpecificCredential": out}, nil
}

// listServiceCreds lists the owner's credentials, or with AllUsers every
// user's in the account, optionally for one service.
func listServiceCreds(s *Service, c *Call) (any, error) {
	service := c.Params.String("ServiceName")
	if _, ok := credentialServices[service]; service != "" && !ok {
		return nil, notSupportedService(service)
	}
	all, _ := c.Params.Bool("AllUsers")
	if all && c.Params.String("UserName") != "" {
		return nil, awserr.New("InvalidInput", "UserName cannot be specified together with AllUsers.")
	}
	name := ""
	if !all {
		var err error
		if name, err = keyOwner(c); err != nil {
			return nil, err
		}
	}
	out := []map[string]any{}
	keep := func(user string, sc *ServiceCredential) {
		if service == "" || sc.ServiceName == service {
			out = append(out, serviceCredOutput(c, user, sc, ""))
		}
	}
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		if !all {
			o, err := readCredOwner(c, tx, name)
			if err != nil {
				return err
			}
			creds, err := ownedBy[ServiceCredential](c, tx, kindServiceCred, o)
			for _, sc := range creds {
				keep(o.Name, sc)
			}
			return err
		}
		users, err := list[User](c.Ctx, tx, store.ListOptions{Kind: kindUser, Account: c.Account})
		if err != nil {
			return err
		}
		names := make(map[string]string, len(users)) // UserId → current name
		for _, u := range users {
			names[u.UserId] = u.UserName
		}
		recs, err := tx.List(c.Ctx, store.ListOptions{Kind: kindServiceCred, Account: c.Account})
		if err != nil {
			return err
		}
		for _, r := range recs {
			var sc ServiceCredential
			if err := json.Unmarshal(r.Data, &sc); err != nil {
				return err
			}
			keep(names[r.Parent], &sc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return m["ServiceSpecificCredentialId"].(string) })
	if err != nil {
		return nil, err
	}
	return listResult("ServiceSpecificCredentials", pg, trunc, marker), nil
}

// modifyServiceCred reads one of the owner's credentials and lets fn change
// it (written back) or delete it.
func (s *Service) modifyServiceCred(c *Call, fn func(o credOwner, sc *ServiceCredential) (del bool)) error {
	name, err := keyOwner(c)
	if err != nil {
		return err
	}
	id := c.Params.String("ServiceSpecificCredentialId")
	return modifyOwned(s, c, kindServiceCred, name, id, serviceCredMissing(id), fn)
}

func updateServiceCred(s *Service, c *Call) (any, error) {
	status, err := settableStatus(c)
	if err != nil {
		return nil, err
	}
	return nil, s.modifyServiceCred(c, func(_ credOwner, sc *ServiceCredential) bool {
		sc.Status = status
		return false
	})
}

// resetServiceCred replaces a credential's secret and returns the new one.
func resetServiceCred(s *Service, c *Call) (any, error) {
	var out map[string]any
	err := s.modifyServiceCred(c, func(o credOwner, sc *ServiceCredential) bool {
		secret := newServiceSecret(sc)
		sc.SecretSealed = s.sealer.Seal(secret, sc.ServiceSpecificCredentialId)
		out = serviceCredOutput(c, o.Name, sc, secret)
		return false
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"ServiceSpecificCredential": out}, nil
}

func deleteServiceCred(s *Service, c *Call) (any, error) {
	return nil, s.modifyServiceCred(c, func(credOwner, *ServiceCredential) bool { return true })
}
