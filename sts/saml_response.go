package sts

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// SAML 2.0 namespaces and the values AssumeRoleWithSAML looks for.
const (
	nsSAMLAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsSAMLProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlSuccess     = "urn:oasis:names:tc:SAML:2.0:status:Success"
	samlBearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	// maxSAMLResponse bounds the decoded response (SAMLAssertion is at most
	// 100,000 base64 characters).
	maxSAMLResponse = 100000
)

// samlAssertion is what Gatehouse reads from a SAML response once its
// signature, issuer, audience, recipient and validity period are checked.
type samlAssertion struct {
	Issuer              string
	NameID              string
	NameIDFormat        string
	Recipient           string    // SubjectConfirmationData's Recipient: the Audience output and saml:aud
	SessionNotOnOrAfter time.Time // the AuthnStatement's SessionNotOnOrAfter, zero when absent
	Attributes          []samlAttribute
}

// samlAttribute is one Attribute of the assertion's AttributeStatements.
type samlAttribute struct {
	Name         string
	FriendlyName string
	Values       []string
}

// values returns the values of the attributes with a name.
func (a *samlAssertion) values(name string) []string {
	var out []string
	for _, at := range a.Attributes {
		if at.Name == name {
			out = append(out, at.Values...)
		}
	}
	return out
}

// samlCheck is what a response is verified against: the provider's entity id
// and signing certificates, its id (for …/saml/acs/ID recipients), its
// decryption keys and whether it requires encrypted assertions, and the
// time.
type samlCheck struct {
	EntityID           string
	Certs              []*x509.Certificate
	ProviderID         string
	DecryptionKeys     []crypto.PrivateKey
	EncryptionRequired bool
	Now                time.Time
}

// The XML shapes of a SAML 2.0 assertion that AssumeRoleWithSAML reads
// (SAML core, section 2); encoding/xml fills them from verified XML only.
type (
	xmlSAMLResponse struct {
		XMLName xml.Name      `xml:"urn:oasis:names:tc:SAML:2.0:protocol Response"`
		Status  xmlSAMLStatus `xml:"urn:oasis:names:tc:SAML:2.0:protocol Status"`
	}
	xmlSAMLStatus struct {
		Code struct {
			Value string `xml:"Value,attr"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
	}
	xmlSAMLAssertion struct {
		XMLName xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
		Issuer  string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
		Subject *struct {
			NameID struct {
				Value  string `xml:",chardata"`
				Format string `xml:"Format,attr"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
			Confirmations []struct {
				Method string `xml:"Method,attr"`
				Data   *struct {
					Recipient    string `xml:"Recipient,attr"`
					NotBefore    string `xml:"NotBefore,attr"`
					NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
				} `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmationData"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmation"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Subject"`
		Conditions *struct {
			NotBefore    string `xml:"NotBefore,attr"`
			NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
			Restrictions []struct {
				Audiences []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Audience"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AudienceRestriction"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Conditions"`
		AuthnStatements []struct {
			SessionNotOnOrAfter string `xml:"SessionNotOnOrAfter,attr"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AuthnStatement"`
		AttributeStatements []struct {
			Attributes []struct {
				Name         string   `xml:"Name,attr"`
				FriendlyName string   `xml:"FriendlyName,attr"`
				Values       []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeValue"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Attribute"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeStatement"`
	}
)

// awsSignIn matches the AWS sign-in endpoints an assertion may be addressed
// to: the global or a regional one, optionally with /acs/ and the
// provider's id (IAM User Guide, id_roles_providers_create_saml_assertions).
var awsSignIn = regexp.MustCompile(`^https://([a-z0-9-]+\.)?signin\.(aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/saml(/acs/([A-Za-z0-9-]+))?$`)

// recipientOK reports whether a Recipient (or Audience) is an AWS sign-in
// endpoint, and, when it names a provider id, this provider's.
func (chk *samlCheck) recipientOK(url string) bool {
	m := awsSignIn.FindStringSubmatch(url)
	return m != nil && (m[4] == "" || m[4] == chk.ProviderID)
}

// audienceOK reports whether an Audience designates AWS.
func (chk *samlCheck) audienceOK(aud string) bool {
	return aud == "urn:amazon:webservices" || strings.HasPrefix(aud, "urn:amazon:webservices:") || chk.recipientOK(aud)
}

func samlInvalid(msg string) error { return awserr.New("InvalidIdentityToken", msg) }

// samlExpired is AWS's ExpiredTokenException for an assertion past its
// validity period.
func samlExpired(now, end time.Time) error {
	return awserr.New("ExpiredTokenException", "Token expired: current date/time "+now.UTC().Format(time.RFC3339)+
		" must be before the expiration date/time "+end.UTC().Format(time.RFC3339))
}

// readSAMLResponse decodes a base64 SAML Response, verifies its XML
// signature (on the Response or on its one Assertion) against the
// provider's certificates and checks the assertion as AWS does: issuer,
// audience, one bearer subject confirmation addressed to AWS, validity
// periods with clockSkew of tolerance. Everything it returns was covered by
// a verified signature.
func readSAMLResponse(encoded string, chk *samlCheck) (*samlAssertion, error) {
	malformed := samlInvalid("Invalid SAML response: the SAMLAssertion is not a base64-encoded SAML 2.0 Response.")
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(encoded), ""))
	if err != nil || len(raw) > maxSAMLResponse {
		return nil, malformed
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, malformed
	}
	for _, tok := range doc.Child {
		if _, ok := tok.(*etree.Directive); ok { // no DOCTYPE, hence no entity declarations
			return nil, malformed
		}
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != nsSAMLProtocol {
		return nil, malformed
	}
	signed, err := verifiedAssertion(root, chk)
	if err != nil {
		return nil, err
	}
	return checkAssertion(signed, chk)
}

// verifiedAssertion returns the response's assertion as covered by a valid
// signature: the Response's, or the Assertion's own when the Response is not
// signed. An EncryptedAssertion is decrypted first with the provider's keys
// (when the Response is signed, its signature covers the ciphertext). It
// also requires a successful status.
func verifiedAssertion(root *etree.Element, chk *samlCheck) (*xmlSAMLAssertion, error) {
	badSig := samlInvalid("Response signature invalid")
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: chk.Certs})
	vc.Clock = dsig.NewFakeClockAt(chk.Now)
	response, responseSigned := root, hasSignature(root)
	if responseSigned {
		el, err := vc.Validate(root)
		if err != nil {
			return nil, badSig
		}
		response = el
	}
	var resp xmlSAMLResponse
	if err := unmarshalElement(response, &resp); err != nil {
		return nil, samlInvalid("Invalid SAML response: " + err.Error())
	}
	if resp.Status.Code.Value != samlSuccess {
		return nil, awserr.New("IDPRejectedClaim", "The identity provider did not report a successful authentication (status "+resp.Status.Code.Value+").")
	}
	plain := childElements(response, nsSAMLAssertion, "Assertion")
	encrypted := childElements(response, nsSAMLAssertion, "EncryptedAssertion")
	if len(plain)+len(encrypted) != 1 {
		return nil, samlInvalid("Invalid SAML response: it must contain exactly one Assertion.")
	}
	var assertion *etree.Element
	var err error
	if len(encrypted) == 1 {
		if assertion, err = decryptAssertion(encrypted[0], chk.DecryptionKeys); err != nil {
			return nil, err
		}
	} else {
		if chk.EncryptionRequired {
			return nil, samlInvalid("The SAML provider requires encrypted assertions.")
		}
		if assertion, err = detach(plain[0]); err != nil {
			return nil, badSig
		}
	}
	if !responseSigned {
		if !hasSignature(assertion) {
			return nil, badSig
		}
		if assertion, err = vc.Validate(assertion); err != nil {
			return nil, badSig
		}
	}
	var a xmlSAMLAssertion
	if err := unmarshalElement(assertion, &a); err != nil {
		return nil, samlInvalid("Invalid SAML response: " + err.Error())
	}
	return &a, nil
}

// hasSignature reports whether an element carries an enveloped XML
// signature as a direct child.
func hasSignature(el *etree.Element) bool {
	return len(childElements(el, dsig.Namespace, dsig.SignatureTag)) > 0
}

// childElements returns el's children with a namespace and local name.
func childElements(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// unmarshalElement decodes a self-contained element (one carrying its
// namespace declarations, as verified elements do) into v.
func unmarshalElement(el *etree.Element, v any) error {
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	data, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	return xml.Unmarshal(data, v)
}

// samlTime parses an xs:dateTime attribute; ok is false when it is absent.
func samlTime(s string) (t time.Time, ok bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, false, samlInvalid("Invalid SAML response: " + s + " is not a valid xs:dateTime.")
	}
	return t, true, nil
}

// checkAssertion applies AWS's checks to a verified assertion.
func checkAssertion(a *xmlSAMLAssertion, chk *samlCheck) (*samlAssertion, error) {
	now := chk.Now
	if strings.TrimSpace(a.Issuer) != chk.EntityID {
		return nil, samlInvalid("Issuer not present in specified provider")
	}
	if a.Subject == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return nil, samlInvalid("Invalid SAML response: the assertion has no Subject NameID.")
	}
	if a.Conditions == nil {
		return nil, samlInvalid("Invalid SAML response: the assertion has no Conditions.")
	}
	if nb, ok, err := samlTime(a.Conditions.NotBefore); err != nil {
		return nil, err
	} else if ok && now.Add(clockSkew).Before(nb) {
		return nil, samlInvalid("Assertion is not yet valid: NotBefore " + nb.UTC().Format(time.RFC3339))
	}
	if end, ok, err := samlTime(a.Conditions.NotOnOrAfter); err != nil {
		return nil, err
	} else if ok && !now.Before(end.Add(clockSkew)) {
		return nil, samlExpired(now, end)
	}
	audienceOK := false
	for _, r := range a.Conditions.Restrictions {
		for _, aud := range r.Audiences {
			audienceOK = audienceOK || chk.audienceOK(strings.TrimSpace(aud))
		}
	}
	if !audienceOK {
		return nil, samlInvalid("SAML Assertion audience is not AWS (expected https://signin.aws.amazon.com/saml or urn:amazon:webservices)")
	}
	var bearer []int
	for i, sc := range a.Subject.Confirmations {
		if sc.Method == samlBearer && sc.Data != nil {
			bearer = append(bearer, i)
		}
	}
	if len(bearer) != 1 {
		return nil, samlInvalid("Invalid SAML response: the assertion must have exactly one bearer SubjectConfirmation with SubjectConfirmationData.")
	}
	data := a.Subject.Confirmations[bearer[0]].Data
	recipient := strings.TrimSpace(data.Recipient)
	if !chk.recipientOK(recipient) {
		return nil, samlInvalid("Invalid SAML response: Recipient " + recipient + " is not an AWS sign-in endpoint.")
	}
	end, ok, err := samlTime(data.NotOnOrAfter)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, samlInvalid("Invalid SAML response: SubjectConfirmationData has no NotOnOrAfter.")
	}
	if !now.Before(end.Add(clockSkew)) {
		return nil, samlExpired(now, end)
	}
	if nb, ok, err := samlTime(data.NotBefore); err != nil {
		return nil, err
	} else if ok && now.Add(clockSkew).Before(nb) {
		return nil, samlInvalid("Assertion is not yet valid: NotBefore " + nb.UTC().Format(time.RFC3339))
	}
	out := &samlAssertion{Issuer: chk.EntityID, NameID: strings.TrimSpace(a.Subject.NameID.Value),
		NameIDFormat: strings.TrimSpace(a.Subject.NameID.Format), Recipient: recipient}
	for _, st := range a.AuthnStatements {
		t, ok, err := samlTime(st.SessionNotOnOrAfter)
		if err != nil {
			return nil, err
		}
		if ok && (out.SessionNotOnOrAfter.IsZero() || t.Before(out.SessionNotOnOrAfter)) {
			out.SessionNotOnOrAfter = t
		}
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			vals := make([]string, 0, len(at.Values))
			for _, v := range at.Values {
				vals = append(vals, strings.TrimSpace(v))
			}
			out.Attributes = append(out.Attributes, samlAttribute{Name: strings.TrimSpace(at.Name),
				FriendlyName: strings.TrimSpace(at.FriendlyName), Values: vals})
		}
	}
	return out, nil
}
