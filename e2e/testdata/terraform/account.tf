# Everything else Terraform manages in IAM, beyond the seed documents:
# paths, descriptions and tags, group policies, user and exclusive policy
# attachments, login profile, password policy, account alias, virtual MFA
# device, service-linked role, SSH key and SAML provider. terraform_test.go
# applies this file together with main.tf when the server implements the
# operations these resources call.

resource "aws_iam_role" "tagged" {
  name                 = "tagged-role"
  path                 = "/app/"
  description          = "a role with everything"
  max_session_duration = 7200
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
  tags = { team = "blue", env = "dev" }
}

resource "aws_iam_policy" "tagged" {
  name        = "tagged-policy"
  path        = "/app/"
  description = "tagged policy"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }]
  })
  tags = { team = "blue" }
}

resource "aws_iam_user" "u" {
  name = "tagged-user"
  path = "/people/"
  tags = { team = "blue" }
}

resource "aws_iam_group" "g" {
  name = "tagged-group"
  path = "/people/"
}

resource "aws_iam_group_policy" "g" {
  name  = "g-inline"
  group = aws_iam_group.g.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:ListUsers", Resource = "*" }]
  })
}

resource "aws_iam_user_policy_attachment" "u" {
  user       = aws_iam_user.u.name
  policy_arn = aws_iam_policy.tagged.arn
}

resource "aws_iam_policy" "exclusive" {
  name = "exclusive-policy"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::my-app-artifacts/*" }]
  })
}

resource "aws_iam_group_policy_attachment" "g" {
  group      = aws_iam_group.g.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_policy_attachment" "exclusive" {
  name       = "exclusive"
  policy_arn = aws_iam_policy.exclusive.arn
  roles      = [aws_iam_role.tagged.name]
  groups     = [aws_iam_group.g.name]
}

resource "aws_iam_user_group_membership" "u" {
  user   = aws_iam_user.u.name
  groups = [aws_iam_group.g.name]
}

resource "aws_iam_user_login_profile" "u" {
  user                    = aws_iam_user.u.name
  password_reset_required = true
}

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length        = 14
  require_lowercase_characters   = true
  require_numbers                = true
  require_uppercase_characters   = true
  require_symbols                = true
  allow_users_to_change_password = true
  max_password_age               = 90
  password_reuse_prevention      = 24
}

resource "aws_iam_account_alias" "alias" {
  account_alias = "gatehouse-e2e"
}

resource "aws_iam_virtual_mfa_device" "u" {
  virtual_mfa_device_name = "tagged-user-mfa"
}

resource "aws_iam_service_linked_role" "ecs" {
  aws_service_name = "ecs.amazonaws.com"
}

resource "aws_iam_user_ssh_key" "u" {
  username   = aws_iam_user.u.name
  encoding   = "SSH"
  public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDfEeixmO8qvTSo85hrRzWoRuuWA8WAc5jw9cAtYpXYSgDIPu0uhZzu0OBzoXYqRuOhLO8htUVzrXK64kqjhXQqOVXV6ysE2BjxL6+H7m16kGOeGNcOZ3eNv+lKHlehx9hTpHsc7Q46vfs7xmSkw8eW7sSq6DiwFrq9O4kT8gV2wAd81EXqqwXb+F4b+88WB3JHwPlz6y2VR++Ftdjs3Fvp1kH+aknHJ7+Cjb89FGBm0BhX4DWzrxtxuQx/HwBGJrz1bS6j5c3iERNybf7DY2a2YdyY5OGGt6oMp/GRcdCtVqq7a6G5ye1XFjt3Q+zpcOzCyT+6yo0yQ2ixLqzGv0sh"
}

resource "aws_iam_saml_provider" "idp" {
  name                   = "corp-idp"
  saml_metadata_document = <<-XML
    <?xml version="1.0"?>
    <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2030-01-01T00:00:00Z" entityID="https://idp.example.com/saml">
      <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        <md:KeyDescriptor use="signing">
          <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
            <ds:X509Data>
              <ds:X509Certificate>MIIDFTCCAf2gAwIBAgIUA2PDvVW4+C1KlbldiS2qfAJwpGcwDQYJKoZIhvcNAQELBQAwGjEYMBYGA1UEAwwPaWRwLmV4YW1wbGUuY29tMB4XDTI2MTEyMzE0MjIzNloXDTM2MTEyMDE0MjIzNlowGjEYMBYGA1UEAwwPaWRwLmV4YW1wbGUuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAseXQz6EGHvlAzLgZxFh6OPqMcBCZwu4RBe8Lbp0VFORfAH8IjaeBUvTSBrpprIYdt6h4j1R3FJKryukH88SIpad85yhJZ8tADon/KldLqfbILTIcIwO4WWRKM0S9Mg97o+8jpBFh4qshu90W6S9blgrAaFFEhNk2Ew2431Q2JMaPH6XpRMtekJkt6BeXZpMd9d28ML3yvo+UKwepnML/v3KLbfWdDN/ROPkT0EpZCw/mDdM5lYIxuK5zqcboSQ1CKZhbDG7uUS9AiCFFXIF2r22sUvpt3kveuaNidkkSI4u8W4od0nmdlAFuv/1gy4ncsLMHTqFxtMLa2XlDGqx15wIDAQABo1MwUTAdBgNVHQ4EFgQUwnlZpziTaP4VOEY68jrtipf4w7QwHwYDVR0jBBgwFoAUwnlZpziTaP4VOEY68jrtipf4w7QwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAZmoVws46MIaYdAqhLKBwG3dUYr8fVyBU/505lK9vWXOrNJSwNK0356vuyVdPFmkzKrlAnvCd2+eO9A0IUpaUmR8x1ZQrLnA6u4fFPpVZ2woelAIC/RgNgTD5pDx3PkqrJ6rWDkj7NVH+uN7oU4FItdkn5Yht7ceJbbBiGdLQOCrcxcZuRhrs+iCOXM2d4Z26OrYyslTQGl0uOaGUshHrq2EAnXtmIPwWCTSU9bPiCmGwJ7WZoDhy2Bf2h30AAJpm2z8TGb8eEcE/cSpvPflojlFku7qhedN9cDa8sFatrLeYosS3C5F/uAkCiQx+7vXKGc4Af3CVTRX2gzTUTTOr1A==</ds:X509Certificate>
            </ds:X509Data>
          </ds:KeyInfo>
        </md:KeyDescriptor>
        <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
      </md:IDPSSODescriptor>
    </md:EntityDescriptor>
  XML
}
