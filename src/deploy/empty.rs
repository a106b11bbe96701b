//! Emptying a bucket that a stack deletion removes: `CloudFormation` refuses to delete a bucket
//! that holds objects (with versioning, every old version and delete marker counts). `destroy`
//! empties such buckets after confirmation; in the template, a custom resource does the same
//! for deletions started elsewhere (the console, another tool).

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::aws::Aws;
use super::error::{self, Call, Error};

/// One object version (or delete marker) to delete.
pub(crate) struct Version {
    key: String,
    version_id: Option<String>,
}

/// Every object version and delete marker in `bucket`; `None` when the bucket is gone.
pub(crate) async fn versions(aws: &Aws, bucket: &str) -> Result<Option<Vec<Version>>, Error> {
    let what = format!("list the object versions of bucket {bucket}");
    let call = Call { what: &what, endpoint: "S3", attempts: super::aws::ATTEMPTS };
    let mut list = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let out = aws
            .s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.meta().code() == Some("NoSuchBucket")) => return Ok(None),
            Err(e) => return Err(error::sdk(&call, &e)),
        };
        let versions = out.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = out.delete_markers().iter().map(|m| (m.key(), m.version_id()));
        for (key, version_id) in versions.chain(markers) {
            if let Some(key) = key {
                list.push(Version { key: key.to_string(), version_id: version_id.map(str::to_string) });
            }
        }
        if out.is_truncated() != Some(true) {
            return Ok(Some(list));
        }
        key_marker = out.next_key_marker().map(str::to_string);
        version_marker = out.next_version_id_marker().map(str::to_string);
        if key_marker.is_none() && version_marker.is_none() {
            return Ok(Some(list));
        }
    }
}

/// Deletes `versions` from `bucket`, 1,000 per request (S3's limit).
pub(crate) async fn delete(aws: &Aws, bucket: &str, versions: &[Version]) -> Result<(), Error> {
    let what = format!("delete the objects of bucket {bucket}");
    let call = Call { what: &what, endpoint: "S3", attempts: super::aws::ATTEMPTS };
    for chunk in versions.chunks(1000) {
        let objects = chunk
            .iter()
            .map(|v| ObjectIdentifier::builder().key(&v.key).set_version_id(v.version_id.clone()).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::failed(format!("internal error: {e}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::failed(format!("internal error: {e}")))?;
        let out =
            aws.s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(|e| error::sdk(&call, &e))?;
        if let Some(first) = out.errors().first() {
            return Err(Error::failed(format!(
                "could not delete {} object(s) of bucket {bucket}, e.g. {}: {}\nhelp: check that you may delete \
                 objects and their versions there (s3:DeleteObject, s3:DeleteObjectVersion), then run the command \
                 again",
                out.errors().len(),
                first.key().unwrap_or("?"),
                first.message().unwrap_or("no reason given")
            )));
        }
    }
    Ok(())
}
