package iam

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindCredentialReport is an account's credential report; ID: the account
// id. Outside the "iam." kinds: the snapshot does not need it.
const kindCredentialReport = "credreport"

// credentialReportLifetime is how long a report is served (AWS: 4 hours;
// GenerateCredentialReport makes a new one after that).
const credentialReportLifetime = 4 * time.Hour

// CredentialReport is a generated report.
type CredentialReport struct {
	Generated time.Time
	Content   []byte // CSV
}

// credentialReportColumns are AWS's columns, in AWS's order.
var credentialReportColumns = []string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"}

func init() {
	register(
		&Operation{Name: "GenerateCredentialReport", Resource: accountWide, Handle: generateCredentialReport},
		&Operation{Name: "GetCredentialReport", Resource: accountWide, Handle: getCredentialReport},
	)
}

// reportTime renders a time as the report does (ISO 8601 with an offset).
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func readCredentialReport(c *Call, tx store.Tx) (*CredentialReport, error) {
	r, _, err := get[CredentialReport](c.Ctx, tx, kindCredentialReport, c.Account, c.Account, "")
	if awserr.As(err) != nil {
		return nil, nil
	}
	return r, err
}

// generateCredentialReport answers STARTED when it makes a new report (no
// report, or one older than 4 hours) and COMPLETE when a fresh one exists.
// The report is built before the answer, so GetCredentialReport succeeds
// right after STARTED.
func generateCredentialReport(s *Service, c *Call) (any, error) {
	var current *CredentialReport
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		current, err = readCredentialReport(c, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if current != nil && c.Now.Sub(current.Generated) < credentialReportLifetime {
		return map[string]any{"State": "COMPLETE"}, nil
	}
	var content []byte
	err = s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		content, err = s.credentialReport(c, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	report := &CredentialReport{Generated: c.Now, Content: content}
	err = s.store.Update(c.Ctx, func(tx store.Tx) error {
		old, err := readCredentialReport(c, tx)
		if err != nil {
			return err
		}
		return put(c.Ctx, tx, kindCredentialReport, c.Account, c.Account, "", report, old == nil)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}, nil
}

func getCredentialReport(s *Service, c *Call) (any, error) {
	var r *CredentialReport
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		r, err = readCredentialReport(c, tx)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case r == nil:
		return nil, awserr.New("ReportNotPresent", "Credential report not present. Use GenerateCredentialReport to generate a report.")
	case c.Now.Sub(r.Generated) >= credentialReportLifetime:
		return nil, awserr.New("ReportExpired", "Credential report has expired. Use GenerateCredentialReport to generate a new report.")
	}
	return map[string]any{"Content": r.Content, "ReportFormat": "text/csv", "GeneratedTime": r.Generated}, nil
}

// credentialReport renders the CSV: the root account's row, then every user
// by name.
func (s *Service) credentialReport(c *Call, tx store.Tx) ([]byte, error) {
	users, err := list[User](c.Ctx, tx, store.ListOptions{Kind: kindUser, Account: c.Account})
	if err != nil {
		return nil, err
	}
	profiles, err := list[LoginProfile](c.Ctx, tx, store.ListOptions{Kind: kindLoginProfile, Account: c.Account})
	if err != nil {
		return nil, err
	}
	devices, err := list[MFADevice](c.Ctx, tx, store.ListOptions{Kind: kindMFADevice, Account: c.Account})
	if err != nil {
		return nil, err
	}
	pp, err := passwordPolicy(c, tx)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(credentialReportColumns)
	rootKeys, err := s.userKeys(c, tx, "")
	if err != nil {
		return nil, err
	}
	rootCerts, err := s.certsOf(c, tx, "")
	if err != nil {
		return nil, err
	}
	row := []string{"<root_account>", "arn:" + s.partition + ":iam::" + c.Account + ":root", reportTime(s.accountCreated(c.Account)),
		"not_supported", "no_information", "not_supported", "not_supported", "false"}
	w.Write(append(append(row, s.keyColumns(c, rootKeys)...), certColumns(rootCerts)...))
	for _, u := range users {
		row := []string{u.UserName, u.Arn, reportTime(u.CreateDate)}
		i := slices.IndexFunc(profiles, func(p *LoginProfile) bool { return p.UserId == u.UserId })
		if i < 0 {
			row = append(row, "false", "N/A", "N/A", "N/A")
		} else {
			// Gatehouse has no console: a password is never used to sign in.
			next := "N/A"
			if pp != nil && pp.MaxPasswordAge > 0 {
				next = reportTime(profiles[i].PasswordSet.AddDate(0, 0, int(pp.MaxPasswordAge)))
			}
			row = append(row, "true", "no_information", reportTime(profiles[i].PasswordSet), next)
		}
		mfa := slices.ContainsFunc(devices, func(d *MFADevice) bool { return d.UserId == u.UserId && d.EnableDate != nil })
		row = append(row, strconv.FormatBool(mfa))
		keys, err := s.userKeys(c, tx, u.UserName)
		if err != nil {
			return nil, err
		}
		certs, err := s.certsOf(c, tx, u.UserId)
		if err != nil {
			return nil, err
		}
		w.Write(append(append(row, s.keyColumns(c, keys)...), certColumns(certs)...))
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// keyColumns are the access_key_1_… and access_key_2_… columns, keys in
// creation order.
func (s *Service) keyColumns(c *Call, keys []*AccessKey) []string {
	slices.SortFunc(keys, func(a, b *AccessKey) int { return a.CreateDate.Compare(b.CreateDate) })
	var out []string
	for i := range 2 {
		if i >= len(keys) {
			out = append(out, "false", "N/A", "N/A", "N/A", "N/A")
			continue
		}
		k := keys[i]
		cols := []string{strconv.FormatBool(k.Status == "Active"), reportTime(k.CreateDate), "N/A", "N/A", "N/A"}
		if lu := s.keyLastUsed(c, k.AccessKeyId); lu != nil {
			cols[2], cols[3], cols[4] = reportTime(lu.LastUsedDate), lu.Region, lu.ServiceName
		}
		out = append(out, cols...)
	}
	return out
}

// certsOf lists the signing certificates of a user by UserId ("" for root),
// oldest first.
func (s *Service) certsOf(c *Call, tx store.Tx, userID string) ([]*SigningCertificate, error) {
	certs, err := list[SigningCertificate](c.Ctx, tx, store.ListOptions{Kind: kindSigningCert, Account: c.Account, Parent: &userID})
	slices.SortFunc(certs, func(a, b *SigningCertificate) int { return a.UploadDate.Compare(b.UploadDate) })
	return certs, err
}

// certColumns are the cert_1_… and cert_2_… columns.
func certColumns(certs []*SigningCertificate) []string {
	var out []string
	for i := range 2 {
		if i >= len(certs) {
			out = append(out, "false", "N/A")
			continue
		}
		out = append(out, strconv.FormatBool(certs[i].Status == "Active"), reportTime(certs[i].UploadDate))
	}
	return out
}
