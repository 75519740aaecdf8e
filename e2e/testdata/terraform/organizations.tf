# The seed documents' SCP as Terraform manages it: aws_organizations_policy
# and aws_organizations_policy_attachment, applied by orgs_test.go to an
# organization and OU that the test creates with the AWS CLI.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "target_id" {
  type        = string
  description = "OU the guardrail is attached to"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    iam           = var.endpoint
    sts           = var.endpoint
    organizations = var.endpoint
  }
}

resource "aws_organizations_policy" "guardrails" {
  name        = "deny-risky-actions"
  description = "Deny leaving the organization, disabling audit and unapproved regions"
  type        = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DenyLeaveOrg"
        Effect   = "Deny"
        Action   = "organizations:LeaveOrganization"
        Resource = "*"
      },
      {
        Sid      = "DenyDisableAudit"
        Effect   = "Deny"
        Action   = ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount"]
        Resource = "*"
      },
      {
        Sid       = "DenyUnapprovedRegions"
        Effect    = "Deny"
        NotAction = ["iam:*", "organizations:*", "route53:*", "support:*", "budgets:*", "ce:*", "cloudfront:*", "globalaccelerator:*"]
        Resource  = "*"
        Condition = {
          StringNotEquals = {
            "aws:RequestedRegion" = ["eu-west-1", "us-east-1"]
          }
        }
      },
    ]
  })
}

resource "aws_organizations_policy_attachment" "workloads" {
  policy_id = aws_organizations_policy.guardrails.id
  target_id = var.target_id
}
