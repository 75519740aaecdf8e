package sts

import (
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
)

// verifyMFA checks SerialNumber and TokenCode against the caller's MFA
// device.
func (s *Service) verifyMFA(c *iam.Call, serial string) error {
	code := c.Params.String("TokenCode")
	if code == "" {
		return awserr.New("ValidationError", "TokenCode is required when SerialNumber is specified.")
	}
	user, err := s.iam.VerifyMFA(c.Ctx, c.Account, serial, code, c.Now)
	if err != nil {
		return err
	}
	if user != c.Caller.Username {
		return awserr.New("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}
	return nil
}
