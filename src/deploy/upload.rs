//! Uploads to the artifact bucket: Lambda code assets and templates too large to inline.

use aws_sdk_s3::primitives::ByteStream;

use super::aws::Aws;
use super::error::{self, Call, Error};

/// Puts one object; says what it uploaded.
pub(crate) async fn put(aws: &Aws, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), Error> {
    let size = bytes.len();
    let result = aws.s3.put_object().bucket(bucket).key(key).body(ByteStream::from(bytes)).send().await;
    match result {
        Ok(_) => {
            aws.report.progress(&format!("uploaded s3://{bucket}/{key} ({size} bytes)"));
            Ok(())
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.meta().code() == Some("NoSuchBucket")) => {
            Err(Error::config(format!(
                "the artifact bucket {bucket} does not exist (in {})\nhelp: create it first (`aws s3 mb s3://{bucket} \
                 --region {}`) or name another with --artifact-bucket",
                aws.region, aws.region
            )))
        }
        Err(e) => {
            let what = format!("upload s3://{bucket}/{key}");
            Err(error::sdk(&Call { what: &what, endpoint: "S3", attempts: super::aws::ATTEMPTS }, &e))
        }
    }
}

/// The URL `CloudFormation` reads a template from (virtual-hosted style; emulators parse it too).
pub(crate) fn template_url(region: &str, bucket: &str, key: &str) -> String {
    let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("https://{bucket}.s3.{region}.{domain}/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            template_url("eu-west-1", "b", "pipec/p/t.json"),
            "https://b.s3.eu-west-1.amazonaws.com/pipec/p/t.json"
        );
        assert_eq!(template_url("cn-north-1", "b", "k"), "https://b.s3.cn-north-1.amazonaws.com.cn/k");
    }
}
