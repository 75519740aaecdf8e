package catalog

// globalKeys are AWS's global condition context keys, written by hand from the
// IAM User Guide page "AWS global condition context keys"
// (reference_policies_condition-keys), with the data type the page gives each.
// They include the cross-service keys the page lists among the properties of
// a role session (ec2:SourceInstanceArn, lambda:SourceFunctionArn, ...),
// which any action may be conditioned on. Keys whose name ends in
// "/${TagKey}" are templates: any non-empty tag key may follow the slash.
var globalKeys = []KeyInfo{
	// Properties of the principal.
	{Name: "aws:PrincipalArn", Type: TypeARN},
	{Name: "aws:PrincipalAccount", Type: TypeString},
	{Name: "aws:PrincipalOrgPaths", Type: TypeArrayOfString},
	{Name: "aws:PrincipalOrgID", Type: TypeString},
	{Name: "aws:PrincipalTag/${TagKey}", Type: TypeString},
	{Name: "aws:PrincipalIsAWSService", Type: TypeBool},
	{Name: "aws:PrincipalServiceName", Type: TypeString},
	{Name: "aws:PrincipalServiceNamesList", Type: TypeArrayOfString},
	{Name: "aws:PrincipalType", Type: TypeString},
	{Name: "aws:userid", Type: TypeString},
	{Name: "aws:username", Type: TypeString},

	// Properties of a role session.
	{Name: "aws:AssumedRoot", Type: TypeBool},
	{Name: "aws:FederatedProvider", Type: TypeString},
	{Name: "aws:TokenIssueTime", Type: TypeDate},
	{Name: "aws:SignInSessionArn", Type: TypeARN},
	{Name: "aws:MultiFactorAuthAge", Type: TypeNumeric},
	{Name: "aws:MultiFactorAuthPresent", Type: TypeBool},
	{Name: "aws:ChatbotSourceArn", Type: TypeARN},
	{Name: "aws:Ec2InstanceSourceVpc", Type: TypeString},
	{Name: "aws:Ec2InstanceSourcePrivateIPv4", Type: TypeIPAddress},
	{Name: "aws:SourceIdentity", Type: TypeString},
	{Name: "ec2:RoleDelivery", Type: TypeNumeric},
	{Name: "ec2:SourceInstanceArn", Type: TypeARN},
	{Name: "glue:RoleAssumedBy", Type: TypeString},
	{Name: "glue:CredentialIssuingService", Type: TypeString},
	{Name: "codebuild:BuildArn", Type: TypeARN},
	{Name: "codebuild:ProjectArn", Type: TypeARN},
	{Name: "lambda:SourceFunctionArn", Type: TypeARN},
	{Name: "ssm:SourceInstanceArn", Type: TypeARN},
	{Name: "identitystore:UserId", Type: TypeString},

	// Properties of the network.
	{Name: "aws:SourceIp", Type: TypeIPAddress},
	{Name: "aws:SourceVpc", Type: TypeString},
	{Name: "aws:SourceVpcArn", Type: TypeARN},
	{Name: "aws:SourceVpce", Type: TypeString},
	{Name: "aws:VpceAccount", Type: TypeString},
	{Name: "aws:VpceOrgID", Type: TypeString},
	{Name: "aws:VpceOrgPaths", Type: TypeArrayOfString},
	{Name: "aws:VpcSourceIp", Type: TypeIPAddress},

	// Properties of the resource.
	{Name: "aws:ResourceAccount", Type: TypeString},
	{Name: "aws:ResourceOrgID", Type: TypeString},
	{Name: "aws:ResourceOrgPaths", Type: TypeArrayOfString},
	{Name: "aws:ResourceTag/${TagKey}", Type: TypeString},

	// Properties of the request.
	{Name: "aws:CalledVia", Type: TypeArrayOfString},
	{Name: "aws:CalledViaFirst", Type: TypeString},
	{Name: "aws:CalledViaLast", Type: TypeString},
	{Name: "aws:CalledViaAWSMCP", Type: TypeString},
	{Name: "aws:ViaAWSService", Type: TypeBool},
	{Name: "aws:ViaAWSMCPService", Type: TypeBool},
	{Name: "aws:CurrentTime", Type: TypeDate},
	{Name: "aws:EpochTime", Type: TypeDate},
	{Name: "aws:IsMcpServiceAction", Type: TypeBool},
	{Name: "aws:referer", Type: TypeString},
	{Name: "aws:RequestedRegion", Type: TypeString},
	{Name: "aws:RequestTag/${TagKey}", Type: TypeString},
	{Name: "aws:TagKeys", Type: TypeArrayOfString},
	{Name: "aws:SecureTransport", Type: TypeBool},
	{Name: "aws:SourceAccount", Type: TypeString},
	{Name: "aws:SourceArn", Type: TypeARN},
	{Name: "aws:SourceOrgID", Type: TypeString},
	{Name: "aws:SourceOrgPaths", Type: TypeArrayOfString},
	{Name: "aws:UserAgent", Type: TypeString},
}
