//! The secure S3 bucket that pipec's CloudFormation stacks create: a pipeline's archive bucket
//! and the managed assets bucket (`deploy::assets`). KMS-encrypted with a bucket key, public
//! access blocked, ACLs off, versioned, and reachable over TLS only; each caller adds its own
//! lifecycle rule. (Terraform's archive bucket is written as HCL in `terraform/`.)

use serde_json::{Value, json};

/// An `AWS::S3::Bucket`'s properties, with `lifecycle` as its one lifecycle rule.
#[must_use]
pub fn properties(lifecycle: &Value) -> Value {
    json!({
        "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3" },
            "BucketKeyEnabled": true
        }] },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": true,
            "BlockPublicPolicy": true,
            "IgnorePublicAcls": true,
            "RestrictPublicBuckets": true
        },
        "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
        "VersioningConfiguration": { "Status": "Enabled" },
        "LifecycleConfiguration": { "Rules": [lifecycle] }
    })
}

/// The bucket policy statement that refuses every request not made over TLS, for the bucket's
/// ARN and the ARN of its objects (`<bucket ARN>/*`).
#[must_use]
pub fn tls_only(bucket: &Value, objects: &Value) -> Value {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket, objects],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
    })
}
