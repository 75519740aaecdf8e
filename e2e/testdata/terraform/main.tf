# IAM resources from the seed documents (/work/shared/seeds), applied to a
# Gatehouse server by terraform_test.go. References to resources that are
# not IAM (an S3 bucket's ARN) are replaced by literal ARNs. oidc.tf holds
# the resources that need OpenID Connect providers.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type        = string
  description = "URL of the Gatehouse server"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

# Seed 000: least-privilege S3 read for a Spring service role.
resource "aws_iam_role" "order_service_task" {
  name = "order-service-task"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

resource "aws_iam_policy" "order_service_s3" {
  name = "OrderServiceS3Access"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "arn:aws:s3:::my-app-artifacts/orders/*"
      Condition = {
        Bool = { "aws:SecureTransport" = "true" }
      }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "order_service" {
  role       = aws_iam_role.order_service_task.name
  policy_arn = aws_iam_policy.order_service_s3.arn
}

# Seed 004: EC2 role, its policy and instance profile.
resource "aws_iam_role" "ec2_app" {
  name = "ec2-app-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_policy" "ec2_app_policy" {
  name = "ec2-app-permissions"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ScopedSSMAccess"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter*", "ssm:DescribeParameters"]
        Resource = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/prod/*"
      },
      {
        Sid      = "SecretsManagerAccess"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/prod/*"
      },
      {
        Sid      = "CloudWatchLogging"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ec2/app/*"
      }
    ]
  })
}

resource "aws_iam_instance_profile" "ec2_profile" {
  name = "ec2-app-instance-profile"
  role = aws_iam_role.ec2_app.name
}

resource "aws_iam_role_policy_attachment" "ec2_attach" {
  role       = aws_iam_role.ec2_app.name
  policy_arn = aws_iam_policy.ec2_app_policy.arn
}

# Seed 004: Lambda execution role with confused-deputy conditions.
resource "aws_iam_role" "lambda_processor" {
  name = "lambda-processor-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = "123456789012" }
        ArnLike      = { "aws:SourceArn" = "arn:aws:lambda:eu-west-1:123456789012:function:processor-*" }
      }
    }]
  })
}

resource "aws_iam_policy" "lambda_processor_policy" {
  name = "lambda-processor-permissions"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "SQSConsume"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
        Resource = "arn:aws:sqs:eu-west-1:123456789012:app-inbound-queue"
      },
      {
        Sid      = "DynamoDBWrite"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/AppProcessing"
      },
      {
        Sid      = "KMSDecrypt"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = "arn:aws:kms:eu-west-1:123456789012:key/app-processing-key"
      }
    ]
  })
}

# Seed 004: ECS task execution role and task role.
resource "aws_iam_role" "ecs_execution" {
  name = "ecs-task-execution-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role" "ecs_task" {
  name = "ecs-app-task-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}

# Seed 004: cross-account role with an external id.
resource "aws_iam_role" "cross_account" {
  name = "cross-account-access-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111111111111:role/app-role" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "sts:ExternalId" = "enterprise-shared-id-123" }
      }
    }]
  })
}

# Seed 004: permission boundary for delegated IAM.
resource "aws_iam_policy" "developer_boundary" {
  name = "developer-iam-boundary"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AllowCommonServices"
        Effect   = "Allow"
        Action   = ["s3:*", "ec2:*", "lambda:*", "dynamodb:*"]
        Resource = "*"
      },
      {
        Sid    = "DenyPrivilegeEscalation"
        Effect = "Deny"
        Action = [
          "iam:CreatePolicyVersion",
          "iam:SetDefaultPolicyVersion",
          "iam:PassRole"
        ]
        Resource = "*"
        Condition = {
          StringNotLike = { "iam:PermissionsBoundary" = "arn:aws:iam::*:policy/developer-iam-boundary" }
        }
      }
    ]
  })
}

# Not in the seeds (they advise against IAM users except for break-glass
# access): a user with an access key, a group and an inline policy, and a
# delegated developer capped by the seed's boundary.
resource "aws_iam_user" "break_glass" {
  name = "break-glass"
  tags = { purpose = "emergency" }
}

resource "aws_iam_access_key" "break_glass" {
  user = aws_iam_user.break_glass.name
}

resource "aws_iam_user_policy" "break_glass" {
  name = "read-iam"
  user = aws_iam_user.break_glass.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["iam:Get*", "iam:List*"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_group" "admins" {
  name = "break-glass-admins"
}

resource "aws_iam_group_membership" "admins" {
  name  = "break-glass-admins-membership"
  group = aws_iam_group.admins.name
  users = [aws_iam_user.break_glass.name]
}

resource "aws_iam_user" "developer" {
  name                 = "developer"
  permissions_boundary = aws_iam_policy.developer_boundary.arn
}

output "break_glass_key_id" {
  value = aws_iam_access_key.break_glass.id
}

output "break_glass_secret" {
  value     = aws_iam_access_key.break_glass.secret
  sensitive = true
}
