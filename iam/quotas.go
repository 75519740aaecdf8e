package iam

// Quotas are IAM's limits. AWS's defaults apply to zero fields; the ones AWS
// lets customers raise can be set higher.
type Quotas struct {
	UsersPerAccount         int
	GroupsPerAccount        int
	RolesPerAccount         int
	PoliciesPerAccount      int
	GroupsPerUser           int
	AccessKeysPerUser       int
	ManagedPoliciesPerUser  int
	ManagedPoliciesPerGroup int
	ManagedPoliciesPerRole  int
	VersionsPerPolicy       int
	ManagedPolicySize       int // non-whitespace characters
	UserInlinePolicySize    int // aggregate per user
	GroupInlinePolicySize   int
	RoleInlinePolicySize    int
	TrustPolicySize         int
	TagsPerEntity           int
	InstanceProfilesPerAcct int
	RolesPerInstanceProfile int
}

func (q *Quotas) fill() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&q.UsersPerAccount, 5000)
	def(&q.GroupsPerAccount, 300)
	def(&q.RolesPerAccount, 1000)
	def(&q.PoliciesPerAccount, 1500)
	def(&q.GroupsPerUser, 10)
	def(&q.AccessKeysPerUser, 2)
	def(&q.ManagedPoliciesPerUser, 10)
	def(&q.ManagedPoliciesPerGroup, 10)
	def(&q.ManagedPoliciesPerRole, 10)
	def(&q.VersionsPerPolicy, 5)
	def(&q.ManagedPolicySize, 6144)
	def(&q.UserInlinePolicySize, 2048)
	def(&q.GroupInlinePolicySize, 5120)
	def(&q.RoleInlinePolicySize, 10240)
	def(&q.TrustPolicySize, 2048)
	def(&q.TagsPerEntity, 50)
	def(&q.InstanceProfilesPerAcct, 1000)
	def(&q.RolesPerInstanceProfile, 1)
}
