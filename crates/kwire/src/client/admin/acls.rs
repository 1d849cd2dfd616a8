//! ACL description and creation (KIP-140 DescribeAcls/CreateAcls, KIP-290 prefixed
//! patterns). Any broker answers; the authorizer is cluster-wide.

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::{ApiKey, CreateAclsRequest, DescribeAclsRequest};
use kafka_protocol::protocol::StrBytes;

use crate::client::{Client, retry};
use crate::error::Result;

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A code kwire does not know.
            Other(i8),
        }

        impl $name {
            /// The wire code.
            pub fn code(self) -> i8 {
                match self {
                    $(Self::$variant => $code,)*
                    Self::Other(c) => c,
                }
            }

            /// From the wire code.
            pub fn from_code(c: i8) -> Self {
                match c {
                    $($code => Self::$variant,)*
                    other => Self::Other(other),
                }
            }
        }
    };
}

code_enum!(
    /// ACL resource types (`ResourceType` in Kafka).
    AclResourceType {
        /// Filter only: any type.
        Any = 1,
        /// A topic.
        Topic = 2,
        /// A consumer group.
        Group = 3,
        /// The cluster.
        Cluster = 4,
        /// A transactional id.
        TransactionalId = 5,
        /// A delegation token.
        DelegationToken = 6,
        /// A user (quota / token owner).
        User = 7,
    }
);

code_enum!(
    /// Resource name patterns (`PatternType`, KIP-290).
    PatternType {
        /// Filter only: any pattern type.
        Any = 1,
        /// Filter only: whatever would match the name.
        Match = 2,
        /// The exact name (`*` = every resource).
        Literal = 3,
        /// Every name starting with the given prefix.
        Prefixed = 4,
    }
);

code_enum!(
    /// ACL operations (`AclOperation`).
    AclOperation {
        /// Filter only: any operation.
        Any = 1,
        /// All operations.
        All = 2,
        /// Read.
        Read = 3,
        /// Write.
        Write = 4,
        /// Create.
        Create = 5,
        /// Delete.
        Delete = 6,
        /// Alter.
        Alter = 7,
        /// Describe.
        Describe = 8,
        /// ClusterAction.
        ClusterAction = 9,
        /// DescribeConfigs.
        DescribeConfigs = 10,
        /// AlterConfigs.
        AlterConfigs = 11,
        /// IdempotentWrite.
        IdempotentWrite = 12,
        /// CreateTokens.
        CreateTokens = 13,
        /// DescribeTokens.
        DescribeTokens = 14,
        /// TwoPhaseCommit (KIP-939).
        TwoPhaseCommit = 15,
    }
);

code_enum!(
    /// Allow or deny (`AclPermissionType`).
    AclPermission {
        /// Filter only: either.
        Any = 1,
        /// Deny.
        Deny = 2,
        /// Allow.
        Allow = 3,
    }
);

/// One ACL: `principal` may (not) do `operation` on the resource from `host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclBinding {
    /// Resource type.
    pub resource_type: AclResourceType,
    /// Resource name or prefix.
    pub resource_name: String,
    /// How the name matches.
    pub pattern_type: PatternType,
    /// e.g. `User:alice`.
    pub principal: String,
    /// Host, `*` for any.
    pub host: String,
    /// Operation.
    pub operation: AclOperation,
    /// Allow or deny.
    pub permission: AclPermission,
}

/// Which ACLs to describe; `None` fields match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclBindingFilter {
    /// Resource type (`Any` for all).
    pub resource_type: AclResourceType,
    /// Resource name.
    pub resource_name: Option<String>,
    /// Pattern type (`Any` for all).
    pub pattern_type: PatternType,
    /// Principal.
    pub principal: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Operation (`Any` for all).
    pub operation: AclOperation,
    /// Permission (`Any` for all).
    pub permission: AclPermission,
}

impl AclBindingFilter {
    /// Matches every ACL.
    pub fn any() -> Self {
        Self {
            resource_type: AclResourceType::Any,
            resource_name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: AclOperation::Any,
            permission: AclPermission::Any,
        }
    }
}

fn opt(s: &Option<String>) -> Option<StrBytes> {
    s.clone().map(StrBytes::from_string)
}

impl Client {
    /// Lists the ACLs matching `filter`. SECURITY_DISABLED (no authorizer) is an error.
    pub async fn describe_acls(&self, filter: &AclBindingFilter) -> Result<Vec<AclBinding>> {
        let inner = self.inner();
        retry::with_retries(inner, "describe ACLs", || async move {
            let conn = inner.any_connection().await?;
            let req = DescribeAclsRequest::default()
                .with_resource_type_filter(filter.resource_type.code())
                .with_resource_name_filter(opt(&filter.resource_name))
                .with_pattern_type_filter(filter.pattern_type.code())
                .with_principal_filter(opt(&filter.principal))
                .with_host_filter(opt(&filter.host))
                .with_operation(filter.operation.code())
                .with_permission_type(filter.permission.code());
            let resp = inner.send(&conn, |_| req).await?;
            inner.check(
                Some(&conn),
                ApiKey::DescribeAcls,
                || "ACLs".into(),
                resp.error_code,
                resp.error_message.as_ref(),
            )?;
            let mut out = Vec::new();
            for r in resp.resources {
                for a in r.acls {
                    out.push(AclBinding {
                        resource_type: AclResourceType::from_code(r.resource_type),
                        resource_name: r.resource_name.to_string(),
                        pattern_type: PatternType::from_code(r.pattern_type),
                        principal: a.principal.to_string(),
                        host: a.host.to_string(),
                        operation: AclOperation::from_code(a.operation),
                        permission: AclPermission::from_code(a.permission_type),
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    /// Creates ACLs; one result per binding, in order.
    pub async fn create_acls(
        &self,
        acls: Vec<AclBinding>,
    ) -> Result<Vec<(AclBinding, Result<()>)>> {
        let inner = self.inner();
        let acls_ref = &acls;
        let (conn, results) = retry::with_retries(inner, "create ACLs", || async move {
            let conn = inner.any_connection().await?;
            let creations = acls_ref
                .iter()
                .map(|a| {
                    AclCreation::default()
                        .with_resource_type(a.resource_type.code())
                        .with_resource_name(StrBytes::from_string(a.resource_name.clone()))
                        .with_resource_pattern_type(a.pattern_type.code())
                        .with_principal(StrBytes::from_string(a.principal.clone()))
                        .with_host(StrBytes::from_string(a.host.clone()))
                        .with_operation(a.operation.code())
                        .with_permission_type(a.permission.code())
                })
                .collect();
            let resp = inner
                .send(&conn, |_| {
                    CreateAclsRequest::default().with_creations(creations)
                })
                .await?;
            Ok((conn, resp.results))
        })
        .await?;
        Ok(acls
            .into_iter()
            .zip(results)
            .map(|(acl, r)| {
                let label = format!(
                    "ACL for {} on {:?} '{}'",
                    acl.principal, acl.resource_type, acl.resource_name
                );
                let result = inner.check(
                    Some(&conn),
                    ApiKey::CreateAcls,
                    || label,
                    r.error_code,
                    r.error_message.as_ref(),
                );
                (acl, result)
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in 0..20 {
            assert_eq!(AclOperation::from_code(c).code(), c);
            assert_eq!(AclResourceType::from_code(c).code(), c);
        }
        assert_eq!(PatternType::Prefixed.code(), 4);
        assert_eq!(AclPermission::Allow.code(), 3);
    }
}
