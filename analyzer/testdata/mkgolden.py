#!/usr/bin/env python3
"""Writes the golden policy documents of analyzer/testdata/golden (without
their findings, which `go test ./analyzer -run TestGolden -update` fills in
and which are then reviewed against AWS's policy check reference)."""
import json, os, sys

REF = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
here = os.path.dirname(os.path.abspath(__file__))
checks = {c["issue_code"]: c for c in json.load(open(sys.argv[1]))["checks"]}
kinds = {"ERROR": "error", "SECURITY_WARNING": "security-warning", "WARNING": "general-warning", "SUGGESTION": "suggestion"}

def anchor(code):
    c = checks[code]
    return REF + "#access-analyzer-reference-policy-checks-" + kinds[c["finding_type"]] + "-" + c["title"].lower().replace(" ", "-")

V = "2012-10-17"
def st(**kw):
    d = {}
    for k in ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]:
        if k in kw: d[k] = kw[k]
    for k, x in kw.items():
        if k not in d: d[k] = x
    return d
def pol(*stmts, version=V):
    d = {}
    if version is not None: d["Version"] = version
    d["Statement"] = list(stmts)
    return d
A = lambda **kw: st(Effect="Allow", **kw)
D = lambda **kw: st(Effect="Deny", **kw)
B = "arn:aws:s3:::amzn-s3-demo-bucket"
ROLE = "arn:aws:iam::123456789012:role/app"
I, R, S, C = "IDENTITY_POLICY", "RESOURCE_POLICY", "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
T = "AWS::IAM::AssumeRolePolicyDocument"
cond = lambda c: A(Action="s3:GetObject", Resource=B + "/*", Condition=c)
TP = {"AWS": "arn:aws:iam::111122223333:root"}
gh = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

cases = [
 ("invalid_action", I, None, "INVALID_ACTION", pol(A(Action="s3:GetObjekt", Resource=B + "/*"))),
 ("invalid_action_wildcard", I, None, "INVALID_ACTION", pol(A(Action="s3:Fly*", Resource="*"))),
 ("invalid_service_in_action", I, None, "INVALID_SERVICE_IN_ACTION", pol(A(Action="s4:GetObject", Resource="*"))),
 ("wildcard_in_service_name", I, None, "WILDCARD_IN_SERVICE_NAME", pol(A(Action="s*:GetObject", Resource="*"))),
 ("missing_version", I, None, "MISSING_VERSION", pol(A(Action="s3:ListBucket", Resource=B), version=None)),
 ("invalid_version", I, None, "INVALID_VERSION", pol(A(Action="s3:ListBucket", Resource=B), version="2012-10-18")),
 ("variable_unsupported_in_version", I, None, "VARIABLE_UNSUPPORTED_IN_VERSION", pol(A(Action="s3:GetObject", Resource=B + "/home/${aws:username}/*"), version="2008-10-17")),
 ("invalid_version_variable", I, None, "INVALID_VERSION", pol(A(Action="s3:ListBucket", Resource=B), version="${aws:username}")),
 ("invalid_effect", I, None, "INVALID_EFFECT", pol(st(Effect="Permit", Action="s3:ListBucket", Resource=B))),
 ("missing_effect", I, None, "MISSING_EFFECT", pol(st(Action="s3:ListBucket", Resource=B))),
 ("missing_action", I, None, "MISSING_ACTION", pol(A(Resource=B))),
 ("missing_resource", I, None, "MISSING_RESOURCE", pol(A(Action="s3:ListBucket"))),
 ("missing_statement", I, None, "MISSING_STATEMENT", {"Version": V}),
 ("missing_statement_empty", I, None, "MISSING_STATEMENT", {"Version": V, "Statement": []}),
 ("invalid_policy_element", I, None, "INVALID_POLICY_ELEMENT", pol(A(Action="s3:ListBucket", Resource=B, Description="list"))),
 ("duplicate_keys_with_different_case", I, None, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE", pol(cond({"IpAddress": {"aws:SourceIp": "203.0.113.0/24", "aws:sourceip": "198.51.100.0/24"}}))),
 ("invalid_policy_element_case", I, None, "INVALID_POLICY_ELEMENT", pol(A(Action="s3:ListBucket", Resource=B, effect="Deny"))),
 ("unsupported_principal", I, None, "UNSUPPORTED_PRINCIPAL", pol(A(Principal={"AWS": "123456789012"}, Action="s3:ListBucket", Resource=B))),
 ("unsupported_element_combination", I, None, "UNSUPPORTED_ELEMENT_COMBINATION", pol(A(Action="s3:ListBucket", NotAction="s3:GetObject", Resource=B))),
 ("unsupported_sid", I, None, "UNSUPPORTED_SID", pol(A(Sid="list bucket", Action="s3:ListBucket", Resource=B))),
 ("unique_sids_required", I, None, "UNIQUE_SIDS_REQUIRED", pol(A(Sid="Read", Action="s3:ListBucket", Resource=B), A(Sid="Read", Action="s3:GetObject", Resource=B + "/*"))),
 ("empty_sid_value", I, None, "EMPTY_SID_VALUE", pol(A(Sid="", Action="s3:ListBucket", Resource=B))),
 ("empty_array_action", I, None, "EMPTY_ARRAY_ACTION", pol(A(Action=[], Resource=B))),
 ("empty_array_resource", I, None, "EMPTY_ARRAY_RESOURCE", pol(A(Action="s3:ListBucket", Resource=[]))),
 ("redundant_action", I, None, "REDUNDANT_ACTION", pol(A(Action=["s3:GetObject", "s3:Get*"], Resource=B + "/*"))),
 ("redundant_resource", I, None, "REDUNDANT_RESOURCE", pol(A(Action="s3:GetObject", Resource=[B + "/*", B + "/logs/*"]))),
 ("redundant_statement", I, None, "REDUNDANT_STATEMENT", pol(A(Action="s3:ListBucket", Resource=B), A(Action="s3:ListBucket", Resource=B))),
 ("pass_role_with_star_in_resource", I, None, "PASS_ROLE_WITH_STAR_IN_RESOURCE", pol(A(Action="iam:PassRole", Resource="*"))),
 ("pass_role_with_star_in_action_and_resource", I, None, "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", pol(A(Action="iam:*", Resource="*"))),
 ("pass_role_with_star_in_resource_and_not_action", I, None, "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", pol(A(NotAction="s3:*", Resource="*"))),
 ("pass_role_with_not_resource", I, None, "PASS_ROLE_WITH_NOT_RESOURCE", pol(A(Action="iam:PassRole", NotResource=ROLE))),
 ("pass_role_with_star_in_action_and_not_resource", I, None, "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", pol(A(Action="iam:Pass*", NotResource=ROLE))),
 ("pass_role_with_not_action_and_not_resource", I, None, "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE", pol(A(NotAction="s3:*", NotResource=ROLE))),
 ("create_slr_with_star_in_resource", I, None, "CREATE_SLR_WITH_STAR_IN_RESOURCE", pol(A(Action="iam:CreateServiceLinkedRole", Resource="*"))),
 ("pass_role_with_star_in_role_name", I, None, "PASS_ROLE_WITH_STAR_IN_RESOURCE", pol(A(Action="iam:PassRole", Resource="arn:aws:iam::123456789012:role/*"))),
 ("pass_role_service_role_prefix", I, None, "PASS_ROLE_WITH_STAR_IN_RESOURCE", pol(A(Action="iam:PassRole", Resource="arn:aws:iam::123456789012:role/Service*"))),
 ("wildcard_in_service_name_resource", I, None, "WILDCARD_IN_SERVICE_NAME", pol(A(Action="codecommit:GitPull", Resource="arn:aws:*code*:us-east-1:123456789012:*"))),
 ("redundant_action_covered_by_union", I, None, "REDUNDANT_ACTION", pol(A(Action=["iam:Get*", "iam:List*", "iam:GetCredentialReport"], Resource="*"))),
 ("redundant_action_partial_overlap", I, None, "REDUNDANT_ACTION", pol(A(Action=["iam:Get*", "iam:*CredentialReport"], Resource="*"))),
 ("create_slr_with_not_resource", I, None, "CREATE_SLR_WITH_NOT_RESOURCE", pol(A(Action="iam:CreateServiceLinkedRole", NotResource="arn:aws:iam::*:role/aws-service-role/ops.apigateway.amazonaws.com/*"))),
 ("create_slr_with_star_in_action_and_not_resource", I, None, "CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", pol(A(Action="iam:Create*", NotResource=ROLE))),
 ("pass_role_scoped", I, None, "PASS_ROLE_WITH_STAR_IN_RESOURCE", pol(A(Action="iam:PassRole", Resource=ROLE))),
 ("invalid_arn_prefix", I, None, "INVALID_ARN_PREFIX", pol(A(Action="s3:ListBucket", Resource="amzn-s3-demo-bucket"))),
 ("missing_arn_field", I, None, "MISSING_ARN_FIELD", pol(A(Action="s3:ListBucket", Resource="arn:aws:s3:amzn-s3-demo-bucket"))),
 ("invalid_partition", I, None, "INVALID_PARTITION", pol(A(Action="s3:ListBucket", Resource="arn:aws-moon:s3:::amzn-s3-demo-bucket"))),
 ("invalid_arn_service_case", I, None, "INVALID_ARN_SERVICE_CASE", pol(A(Action="s3:ListBucket", Resource="arn:aws:S3:::amzn-s3-demo-bucket"))),
 ("arn_region_not_allowed", I, None, "ARN_REGION_NOT_ALLOWED", pol(A(Action="s3:ListBucket", Resource="arn:aws:s3:us-east-1::amzn-s3-demo-bucket"))),
 ("arn_account_not_allowed", I, None, "ARN_ACCOUNT_NOT_ALLOWED", pol(A(Action="iam:GetUser", Resource="arn:aws:s3::123456789012:amzn-s3-demo-bucket"))),
 ("missing_arn_region", I, None, "MISSING_ARN_REGION", pol(A(Action="sqs:SendMessage", Resource="arn:aws:sqs::123456789012:orders"))),
 ("missing_arn_account", I, None, "MISSING_ARN_ACCOUNT", pol(A(Action="sqs:SendMessage", Resource="arn:aws:sqs:us-east-1::orders"))),
 ("invalid_arn_account", I, None, "INVALID_ARN_ACCOUNT", pol(A(Action="sqs:SendMessage", Resource="arn:aws:sqs:us-east-1:12345:orders"))),
 ("invalid_arn_region", I, None, "INVALID_ARN_REGION", pol(A(Action="sqs:SendMessage", Resource="arn:aws:sqs:moon-1:123456789012:orders"))),
 ("invalid_arn_resource", I, None, "INVALID_ARN_RESOURCE", pol(A(Action="iam:GetUser", Resource="arn:aws:iam::123456789012:widget/alice"))),
 ("arn_patterns_clean", I, None, "INVALID_ARN_RESOURCE", pol(A(Action=["cloudformation:DescribeStacks", "ec2:DescribeSnapshots", "ssm:SendCommand"], Resource=["arn:aws:cloudformation:*:*:stack/app-*", "arn:aws:ec2:*:*:snapshot/*", "arn:aws:ssm:*::document/AWS-RunShellScript", "arn:aws:organizations::*:account/*"]))),
 ("invalid_arn_resource_pattern", I, None, "INVALID_ARN_RESOURCE", pol(A(Action="cloudformation:DescribeStacks", Resource="arn:aws:cloudformation:*:*:stackset-of/*"))),
 ("invalid_service_in_arn", I, None, "INVALID_SERVICE", pol(A(Action="s3:ListBucket", Resource="arn:aws:s4:::amzn-s3-demo-bucket"))),
 ("invalid_condition_operator", I, None, "INVALID_CONDITION_OPERATOR", pol(cond({"StringEqualz": {"aws:PrincipalTag/team": "dev"}}))),
 ("invalid_global_condition_key", I, None, "INVALID_GLOBAL_CONDITION_KEY", pol(cond({"IpAddress": {"aws:SourceIpp": "192.0.2.0/24"}}))),
 ("invalid_service_condition_key", I, None, "INVALID_SERVICE_CONDITION_KEY", pol(cond({"StringEquals": {"s3:NoSuchKey": "x"}}))),
 ("invalid_condition_key_format", I, None, "INVALID_CONDITION_KEY_FORMAT", pol(cond({"StringEquals": {"SourceVpc": "vpc-1a2b3c4d"}}))),
 ("type_mismatch", I, None, "TYPE_MISMATCH", pol(cond({"NumericLessThan": {"aws:SourceIp": "10"}}))),
 ("type_mismatch_boolean", I, None, "TYPE_MISMATCH_BOOLEAN", pol(cond({"Bool": {"aws:SecureTransport": "yes"}}))),
 ("type_mismatch_number", I, None, "TYPE_MISMATCH_NUMBER", pol(cond({"NumericLessThan": {"aws:MultiFactorAuthAge": "ten"}}))),
 ("type_mismatch_date", I, None, "TYPE_MISMATCH_DATE", pol(cond({"DateGreaterThan": {"aws:CurrentTime": "tomorrow"}}))),
 ("type_mismatch_ip_range", I, None, "TYPE_MISMATCH_IP_RANGE", pol(cond({"IpAddress": {"aws:SourceIp": "300.1.1.0/24"}}))),
 ("invalid_condition_multiple_boolean", I, None, "INVALID_CONDITION_MULTIPLE_BOOLEAN", pol(cond({"Bool": {"aws:SecureTransport": ["true", "false"]}}))),
 ("forallvalues_with_single_valued_key", I, None, "FORALLVALUES_WITH_SINGLE_VALUED_KEY", pol(cond({"ForAllValues:StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}))),
 ("null_with_if_exists", I, None, "NULL_WITH_IF_EXISTS", pol(cond({"NullIfExists": {"aws:TokenIssueTime": "true"}}))),
 ("null_with_qualifier", I, None, "NULL_WITH_QUALIFIER", pol(cond({"ForAnyValue:Null": {"aws:TagKeys": "true"}}))),
 ("empty_array_condition", I, None, "EMPTY_ARRAY_CONDITION", pol(cond({"StringEquals": {"aws:PrincipalTag/team": []}}))),
 ("empty_array_condition_forallvalues", I, None, "EMPTY_ARRAY_CONDITION_FORALLVALUES", pol(cond({"ForAllValues:StringEquals": {"aws:TagKeys": []}}))),
 ("empty_array_condition_foranyvalue", I, None, "EMPTY_ARRAY_CONDITION_FORANYVALUE", pol(cond({"ForAnyValue:StringEquals": {"aws:TagKeys": []}}))),
 ("empty_array_condition_ifexists", I, None, "EMPTY_ARRAY_CONDITION_IFEXISTS", pol(cond({"StringEqualsIfExists": {"aws:PrincipalTag/team": []}}))),
 ("empty_object_condition", I, None, "EMPTY_OBJECT_CONDITION", pol(cond({}))),
 ("wildcard_without_like_operator", I, None, "WILDCARD_WITHOUT_LIKE_OPERATOR", pol(cond({"StringEquals": {"aws:PrincipalTag/team": "dev*"}}))),
 ("private_ip_address", I, None, "PRIVATE_IP_ADDRESS", pol(cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/16"}}))),
 ("private_not_ip_address", I, None, "PRIVATE_NOT_IP_ADDRESS", pol(D(Action="s3:*", Resource="*", Condition={"NotIpAddress": {"aws:SourceIp": ["192.168.0.0/16"]}}))),
 ("private_ip_address_subset", I, None, "PRIVATE_IP_ADDRESS_SUBSET", pol(cond({"IpAddress": {"aws:SourceIp": ["10.1.0.0/16", "203.0.113.0/24"]}}))),
 ("private_not_ip_address_subset", I, None, "PRIVATE_NOT_IP_ADDRESS_SUBSET", pol(D(Action="s3:*", Resource="*", Condition={"NotIpAddress": {"aws:SourceIp": ["172.16.0.0/12", "203.0.113.0/24"]}}))),
 ("improve_ip_range", I, None, "IMPROVE_IP_RANGE", pol(cond({"IpAddress": {"aws:SourceIp": "203.0.113.7/24"}}))),
 ("redundant_condition_value_num", I, None, "REDUNDANT_CONDITION_VALUE_NUM", pol(cond({"NumericLessThan": {"aws:MultiFactorAuthAge": ["3600", "7200"]}}))),
 ("missing_tag_key_in_condition", I, None, "MISSING_TAG_KEY_IN_CONDITION", pol(cond({"StringEquals": {"aws:PrincipalTag": "dev"}}))),
 ("invalid_vpc_format", I, None, "INVALID_VPC_FORMAT", pol(cond({"StringEquals": {"aws:SourceVpc": "vpc1234"}}))),
 ("invalid_vpce_format", I, None, "INVALID_VPCE_FORMAT", pol(cond({"StringEquals": {"aws:SourceVpce": "endpoint-1"}}))),
 ("missing_brace_in_variable", I, None, "MISSING_BRACE_IN_VARIABLE", pol(A(Action="s3:GetObject", Resource=B + "/home/${aws:username/*"))),
 ("empty_variable", I, None, "EMPTY_VARIABLE", pol(A(Action="s3:GetObject", Resource=B + "/home/${}/*"))),
 ("unsupported_space_in_variable", I, None, "UNSUPPORTED_SPACE_IN_VARIABLE", pol(A(Action="s3:GetObject", Resource=B + "/home/${ aws:username}/*"))),
 ("missing_quote_in_variable", I, None, "MISSING_QUOTE_IN_VARIABLE", pol(A(Action="s3:GetObject", Resource=B + "/home/${aws:username, guest}/*"))),
 ("variable_unsupported_in_element", I, None, "VARIABLE_UNSUPPORTED_IN_ELEMENT", pol(A(Action="s3:${aws:username}", Resource=B))),
 ("invalid_variable_for_operator", I, None, "INVALID_VARIABLE_FOR_OPERATOR", pol(cond({"NumericLessThan": {"aws:MultiFactorAuthAge": "${aws:EpochTime}"}}))),
 ("json_syntax_error", I, None, "JSON_SYNTAX_ERROR", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket" "Resource": "*"}]}'),
 ("data_type_mismatch", I, None, "DATA_TYPE_MISMATCH", pol(A(Action=5, Resource="*"))),
 ("invalid_condition_data_type", I, None, "INVALID_CONDITION_DATA_TYPE", pol(cond({"StringEquals": {"aws:PrincipalTag/level": ["senior", 5]}}))),
 ("data_type_mismatch_condition_value", I, None, "DATA_TYPE_MISMATCH", pol(cond({"StringEquals": {"aws:PrincipalTag/team": {"name": "dev"}}}))),
 ("missing_qualifier", I, None, "MISSING_QUALIFIER", pol(A(Action="ec2:CreateTags", Resource="*", Condition={"StringEquals": {"aws:TagKeys": ["team", "env"]}}))),
 ("deprecated_global_condition_key", I, None, "DEPRECATED_GLOBAL_CONDITION_KEY", pol(cond({"ArnLike": {"aws:ARN": "arn:aws:iam::123456789012:role/app"}}))),
 ("unsupported_global_condition_key", S, None, "UNSUPPORTED_GLOBAL_CONDITION_KEY", pol(D(Action="s3:DeleteBucket", Resource="*", Condition={"ArnNotLike": {"aws:ARN": "arn:aws:iam::*:role/admin"}}))),
 ("invalid_date_value", I, None, "INVALID_DATE_VALUE", pol(cond({"DateLessThan": {"aws:CurrentTime": "1767225600"}}))),
 ("type_mismatch_string", I, None, "TYPE_MISMATCH_STRING", pol(cond({"BinaryEquals": {"aws:PrincipalTag/blob": "not base64!"}}))),
 ("invalid_region", I, None, "INVALID_REGION", pol(A(Action="ec2:RunInstances", Resource="*", Condition={"StringEquals": {"aws:RequestedRegion": ["us-east-1", "europe-west"]}}))),
 ("invalid_service_principal_format_in_condition", I, None, "INVALID_SERVICE_PRINCIPAL_FORMAT", pol(cond({"StringEquals": {"aws:PrincipalServiceName": "cloudtrail"}}))),
 ("missing_paired_condition_keys", I, None, "MISSING_PAIRED_CONDITION_KEYS", pol(cond({"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/16"}}))),
 ("deny_with_unsupported_tag_condition_key_for_service", I, None, "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", pol(D(Action=["ec2:TerminateInstances", "cloudsearch:DeleteDomain"], Resource="*", Condition={"StringEquals": {"aws:ResourceTag/status": "Confidential"}}))),
 ("allow_with_unsupported_tag_condition_key_for_service", I, None, "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", pol(A(Action=["ec2:StartInstances", "cloudsearch:DescribeDomains"], Resource="*", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}))),
 ("deny_notaction_with_unsupported_tag_condition_key_for_service", I, None, "DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", pol(D(NotAction="iam:*", Resource="*", Condition={"StringEquals": {"aws:ResourceTag/status": "Confidential"}}))),
 ("allow_notaction_with_unsupported_tag_condition_key_for_service", I, None, "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE", pol(A(NotAction="iam:*", Resource="*", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}))),
 ("policy_size_exceeds_identity_policy_quota", I, None, "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", pol(A(Action="s3:GetObject", Resource=[B + "/%s/*" % ("p%04d" % i) for i in range(200)]))),
 ("unsupported_action_for_condition_key", I, None, "UNSUPPORTED_ACTION_FOR_CONDITION_KEY", pol(A(Action=["s3:PutObject", "s3:ListBucket"], Resource="*", Condition={"StringEquals": {"s3:x-amz-acl": "private"}}))),
 ("missing_principal", R, None, "MISSING_PRINCIPAL", pol(A(Action="s3:GetObject", Resource=B + "/*"))),
 ("invalid_principal_key", R, None, "INVALID_PRINCIPAL_KEY", pol(A(Principal={"User": "alice"}, Action="s3:GetObject", Resource=B + "/*"))),
 ("invalid_principal_format", R, None, "INVALID_PRINCIPAL_FORMAT", pol(A(Principal={"AWS": "alice"}, Action="s3:GetObject", Resource=B + "/*"))),
 ("unsupported_wildcard_in_principal", R, None, "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", pol(A(Principal={"AWS": "arn:aws:iam::*:root"}, Action="s3:GetObject", Resource=B + "/*"))),
 ("invalid_service_principal_format", R, None, "INVALID_SERVICE_PRINCIPAL_FORMAT", pol(A(Principal={"Service": "cloudtrail"}, Action="s3:PutObject", Resource=B + "/*"))),
 ("empty_object_principal", R, None, "EMPTY_OBJECT_PRINCIPAL", pol(A(Principal={}, Action="s3:GetObject", Resource=B + "/*"))),
 ("empty_array_principal", R, None, "EMPTY_ARRAY_PRINCIPAL", pol(A(Principal={"AWS": []}, Action="s3:GetObject", Resource=B + "/*"))),
 ("allow_with_not_principal", R, None, "ALLOW_WITH_NOT_PRINCIPAL", pol(A(NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}, Action="s3:GetObject", Resource=B + "/*"))),
 ("unique_sids_recommended", R, None, "UNIQUE_SIDS_RECOMMENDED", pol(A(Sid="Read", Principal=TP, Action="s3:GetObject", Resource=B + "/*"), A(Sid="Read", Principal=TP, Action="s3:ListBucket", Resource=B))),
 ("invalid_role_reference", R, None, "INVALID_ROLE_REFERENCE", pol(A(Principal={"AWS": "AROADBQP57FF2AEXAMPLE"}, Action="s3:GetObject", Resource=B + "/*"))),
 ("invalid_user_reference", R, None, "INVALID_USER_REFERENCE", pol(A(Principal={"AWS": "AIDAJQABLZS4A3QDU576Q"}, Action="s3:GetObject", Resource=B + "/*"))),
 ("federated_principal_not_supported", R, None, "FEDERATED_PRINCIPAL_NOT_SUPPORTED", pol(A(Principal={"Federated": "accounts.google.com"}, Action="s3:GetObject", Resource=B + "/*"))),
 ("restrict_access_to_service_principal", R, "AWS::S3::Bucket", "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL", pol(A(Principal={"Service": "cloudtrail.amazonaws.com"}, Action="s3:PutObject", Resource=B + "/AWSLogs/*"))),
 ("service_principal_with_source_arn", R, "AWS::S3::Bucket", "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL", pol(A(Principal={"Service": "cloudtrail.amazonaws.com"}, Action="s3:PutObject", Resource=B + "/AWSLogs/*", Condition={"StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:123456789012:trail/main"}}))),
 ("unsupported_resource_arn_in_policy", R, "AWS::S3::Bucket", "UNSUPPORTED_RESOURCE_ARN_IN_POLICY", pol(A(Principal=TP, Action="s3:GetObject", Resource=[B + "/*", "arn:aws:sqs:us-east-1:123456789012:orders"]))),
 ("unsupported_action_in_bucket_policy", R, "AWS::S3::Bucket", "UNSUPPORTED_ACTION_IN_POLICY", pol(A(Principal=TP, Action=["s3:GetObject", "sqs:SendMessage"], Resource=B + "/*"))),
 ("policy_size_exceeds_resource_policy_quota", R, "AWS::S3::Bucket", "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA", pol(A(Principal=TP, Action="s3:GetObject", Resource=[B + "/%s/*" % ("prefix-%05d" % i) for i in range(560)]))),
 ("bucket_policy_clean", R, "AWS::S3::Bucket", "DATA_TYPE_MISMATCH", pol(D(Sid="DenyInsecureTransport", Principal="*", Action="s3:*", Resource=[B, B + "/*"], Condition={"Bool": {"aws:SecureTransport": "false"}}))),
 ("role_trust_policy_syntax_error_resource", R, T, "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", pol(A(Principal=TP, Action="sts:AssumeRole", Resource="*"))),
 ("role_trust_policy_syntax_error_notprincipal", R, T, "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", pol(A(NotPrincipal=TP, Action="sts:AssumeRole"))),
 ("role_trust_policy_unsupported_wildcard_in_principal", R, T, "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL", pol(A(Principal={"AWS": "arn:aws:iam::111122223333:role/*"}, Action="sts:AssumeRole"))),
 ("unsupported_action_in_trust_policy", R, T, "UNSUPPORTED_ACTION_IN_POLICY", pol(A(Principal=TP, Action=["sts:AssumeRole", "s3:GetObject"]))),
 ("mismatched_action_for_principal", R, T, "MISMATCHED_ACTION_FOR_PRINCIPAL", pol(A(Principal={"Federated": "arn:aws:iam::123456789012:saml-provider/corp"}, Action="sts:AssumeRole"))),
 ("missing_github_repo_condition_key", R, T, "MISSING_GITHUB_REPO_CONDITION_KEY", pol(A(Principal={"Federated": gh}, Action="sts:AssumeRoleWithWebIdentity", Condition={"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}))),
 ("specific_github_repo_and_branch_recommended", R, T, "SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED", pol(A(Principal={"Federated": gh}, Action="sts:AssumeRoleWithWebIdentity", Condition={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}))),
 ("github_trust_clean", R, T, "MISSING_GITHUB_REPO_CONDITION_KEY", pol(A(Principal={"Federated": gh}, Action="sts:AssumeRoleWithWebIdentity", Condition={"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}}))),
 ("missing_condition_key_for_oidc_principal", R, T, "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL", pol(A(Principal={"Federated": "cognito-identity.amazonaws.com"}, Action="sts:AssumeRoleWithWebIdentity"))),
 ("invalid_federated_principal_syntax", R, T, "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY", pol(A(Principal={"Federated": "corp-idp"}, Action="sts:AssumeRoleWithSAML"))),
 ("policy_size_exceeds_role_trust_policy_quota", R, T, "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA", pol(A(Principal={"AWS": ["arn:aws:iam::111122223333:role/r%04d" % i for i in range(60)]}, Action="sts:AssumeRole"))),
 ("missing_action_for_roles_anywhere_trust_policy", R, T, "MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY", pol(A(Principal={"Service": "rolesanywhere.amazonaws.com"}, Action=["sts:AssumeRole", "sts:TagSession"]))),
 ("redundant_principal_in_role_trust_policy", R, T, "REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY", pol(A(Principal={"AWS": ["arn:aws:iam::111122223333:role/deploy", "arn:aws:sts::111122223333:assumed-role/deploy/ci"]}, Action="sts:AssumeRole"))),
 ("missing_action_for_condition_key", R, T, "MISSING_ACTION_FOR_CONDITION_KEY", pol(A(Principal=TP, Action="sts:AssumeRole", Condition={"StringEquals": {"aws:RequestTag/project": "blue"}}))),
 ("scp_syntax_error_principal", S, None, "SCP_SYNTAX_ERROR_PRINCIPAL", pol(D(Principal="*", Action="s3:DeleteBucket", Resource="*"))),
 ("scp_syntax_error_action_wildcard", S, None, "SCP_SYNTAX_ERROR_ACTION_WILDCARD", pol(D(Action="s3:*Bucket", Resource="*"))),
 ("scp_syntax_error_allow_condition", S, None, "SCP_SYNTAX_ERROR_ALLOW_CONDITION", pol(A(Action="ec2:*", Resource="*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))),
 ("scp_syntax_error_allow_notaction", S, None, "SCP_SYNTAX_ERROR_ALLOW_NOTACTION", pol(A(NotAction="iam:*", Resource="*"))),
 ("scp_syntax_error_allow_resource", S, None, "SCP_SYNTAX_ERROR_ALLOW_RESOURCE", pol(A(Action="s3:*", Resource=B))),
 ("scp_syntax_error_notresource", S, None, "SCP_SYNTAX_ERROR_NOTRESOURCE", pol(D(Action="s3:*", NotResource=B))),
 ("policy_size_exceeds_scp_quota", S, None, "POLICY_SIZE_EXCEEDS_SCP_QUOTA", pol(D(Action="s3:DeleteObject", Resource=[B + "/%s/*" % ("p%04d" % i) for i in range(160)]))),
 ("scp_region_guardrail_clean", S, None, "SCP_SYNTAX_ERROR_ALLOW_CONDITION", pol(D(Sid="DenyOutsideEU", NotAction=["iam:*", "organizations:*", "sts:*"], Resource="*", Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}))),
 ("policy_size_exceeds_rcp_quota", C, None, "POLICY_SIZE_EXCEEDS_RCP_QUOTA", pol(D(Principal="*", Action="s3:DeleteObject", Resource=[B + "/%s/*" % ("p%04d" % i) for i in range(160)]))),
 ("rcp_syntax_error_allow", C, None, "RCP_SYNTAX_ERROR_ALLOW", pol(A(Principal="*", Action="s3:GetObject", Resource="*"))),
 ("rcp_syntax_error_notaction", C, None, "RCP_SYNTAX_ERROR_NOTACTION", pol(D(Principal="*", NotAction="s3:GetObject", Resource="*"))),
 ("rcp_syntax_error_action", C, None, "RCP_SYNTAX_ERROR_ACTION", pol(D(Principal="*", Action="*", Resource="*"))),
 ("rcp_syntax_error_principal", C, None, "RCP_SYNTAX_ERROR_PRINCIPAL", pol(D(Principal={"AWS": "123456789012"}, Action="s3:GetObject", Resource="*"))),
 ("rcp_unsupported_action_in_policy", C, None, "UNSUPPORTED_ACTION_IN_POLICY", pol(D(Principal="*", Action="ec2:RunInstances", Resource="*"))),
 ("identity_clean", I, None, "MISSING_VERSION", pol(A(Sid="ReadReports", Action=["s3:GetObject", "s3:ListBucket"], Resource=[B, B + "/reports/*"], Condition={"Bool": {"aws:SecureTransport": "true"}}))),
]

out = os.path.join(here, "golden")
os.makedirs(out, exist_ok=True)
for name, typ, rt, code, doc in cases:
    g = {"reference": anchor(code), "policyType": typ}
    if rt: g["resourceType"] = rt
    g["policy"] = doc
    g["findings"] = []
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(g, f, indent=2)
        f.write("\n")
print(len(cases))
