//! What a deploy sends: the template body, the Lambda assets and where they go in S3, and the
//! stack parameters (from `--param`, the artifact bucket filled in, the rest left to the
//! template's defaults). Checked before any call to AWS.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::Error;
use crate::ir::Pipeline;
use crate::target::aws::cloudformation::{self, ARTIFACT_BUCKET, TEMPLATE_BODY_LIMIT};

/// One file to upload to the artifact bucket.
pub(crate) struct Upload {
    pub key: String,
    pub bytes: Vec<u8>,
}

pub(crate) struct Package {
    /// The template, compact JSON.
    pub body: String,
    /// Lambda code assets, keyed as the template references them.
    pub assets: Vec<Upload>,
    pub parameters: Vec<(String, String)>,
    /// Logical id → (`DeletionPolicy`, `UpdateReplacePolicy`) of the new template.
    pub policies: Policies,
    pub bucket: Option<String>,
    /// The template declares the `ArtifactBucket` parameter.
    declares_bucket: bool,
}

/// Retain policies by logical id, read from a template.
#[derive(Default)]
pub(crate) struct Policies(BTreeMap<String, (bool, bool)>);

impl Policies {
    pub(crate) fn of(template: &Value) -> Self {
        let retain = |r: &Value, key: &str| r.get(key).and_then(Value::as_str) == Some("Retain");
        let map = template
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(id, r)| (id.clone(), (retain(r, "DeletionPolicy"), retain(r, "UpdateReplacePolicy"))))
            .collect();
        Policies(map)
    }

    /// Kept when removed from the stack (or the stack is deleted).
    pub(crate) fn kept_on_delete(&self, id: &str) -> bool {
        self.0.get(id).is_some_and(|p| p.0)
    }

    /// Kept (detached) when replaced.
    pub(crate) fn kept_on_replace(&self, id: &str) -> bool {
        self.0.get(id).is_some_and(|p| p.1)
    }
}

/// Builds the package for `pipeline` and checks the parameters against the template. The
/// artifact bucket is chosen later ([`Package::use_bucket`]): it may come from AWS.
pub(crate) fn package(pipeline: &Pipeline, params: &[(String, String)]) -> Result<Package, Error> {
    let (template, assets) = cloudformation::template(pipeline)
        .map_err(|e| Error::config(format!("internal error while building the template (please report it): {e}")))?;
    let body = serde_json::to_string(&template).map_err(|e| Error::config(format!("internal error: {e}")))?;
    let assets: Vec<Upload> = assets
        .into_iter()
        .map(|a| Upload {
            key: format!("pipec/{}/{}", pipeline.name, a.path.trim_start_matches("assets/")),
            bytes: a.bytes,
        })
        .collect();
    let declared = declared(&template);
    let parameters = parameters(&declared, params)?;
    Ok(Package {
        policies: Policies::of(&template),
        body,
        assets,
        parameters,
        bucket: None,
        declares_bucket: declared.contains_key(ARTIFACT_BUCKET),
    })
}

impl Package {
    /// Needs an artifact bucket: code assets to upload, or a template too large to inline.
    pub(crate) fn needs_bucket(&self) -> bool {
        !self.assets.is_empty() || self.too_large()
    }

    /// Why it needs one, for messages.
    pub(crate) fn why_bucket(&self) -> String {
        match self.assets.first() {
            Some(first) => format!(
                "the Lambda code is too large to inline ({} file(s) to upload, e.g. {})",
                self.assets.len(),
                first.key
            ),
            None => format!(
                "the template is {} bytes, over CloudFormation's {TEMPLATE_BODY_LIMIT}-byte limit for an inline template",
                self.body.len()
            ),
        }
    }

    /// Packs the connector jars into the Flink application's zip ([`super::maven`]): done
    /// before any call to AWS, so a jar that cannot be had or checked stops the deploy first.
    /// The asset's key does not change: it already names the jars' pins.
    /// A jar is pinned by pipec itself or by the `pipec.lock` beside `spec`
    /// ([`crate::target::flink::lock`]), read only when the pipeline has a Flink application.
    pub(crate) fn add_flink_jars(
        &mut self,
        spec: &std::path::Path,
        source: &super::maven::Source,
    ) -> Result<(), Error> {
        use crate::target::flink::{jars::JARS, lock, program::APPLICATION_ZIP_PREFIX};
        let is_application =
            |key: &str| key.rsplit('/').next().is_some_and(|file| file.starts_with(APPLICATION_ZIP_PREFIX));
        if !self.assets.iter().any(|a| is_application(&a.key)) {
            return Ok(());
        }
        let lock_path = lock::path_for(spec);
        let lock = lock::Lock::read(&lock_path).map_err(Error::config)?;
        let pins = super::maven::Pins { lock: lock.as_ref(), lock_path: &lock_path, spec };
        for asset in &mut self.assets {
            if is_application(&asset.key) {
                asset.bytes = super::maven::with_jars(&asset.bytes, JARS, &pins, source)?;
            }
        }
        Ok(())
    }

    /// Sets the artifact bucket and fills in the template's `ArtifactBucket` parameter.
    pub(crate) fn use_bucket(&mut self, bucket: &str) {
        if self.declares_bucket {
            self.parameters.retain(|(k, _)| k != ARTIFACT_BUCKET);
            self.parameters.push((ARTIFACT_BUCKET.to_string(), bucket.to_string()));
            self.parameters.sort();
        }
        self.bucket = Some(bucket.to_string());
    }

    /// True when the template must be passed by URL.
    pub(crate) fn too_large(&self) -> bool {
        self.body.len() > TEMPLATE_BODY_LIMIT
    }

    /// The S3 key of the template (content-addressed).
    pub(crate) fn template_key(&self, pipeline: &str) -> String {
        let digest = Sha256::digest(self.body.as_bytes());
        let hex = digest.iter().take(8).fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        format!("pipec/{pipeline}/templates/{hex}.json")
    }
}

/// The template's parameters: name → has a default.
fn declared(template: &Value) -> BTreeMap<String, bool> {
    template
        .get("Parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, p)| (name.clone(), p.get("Default").is_some()))
        .collect()
}

fn parameters(declared: &BTreeMap<String, bool>, given: &[(String, String)]) -> Result<Vec<(String, String)>, Error> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in given {
        if key == ARTIFACT_BUCKET {
            return Err(Error::config(format!(
                "--param {ARTIFACT_BUCKET}=... is filled in by pipec\nhelp: use --artifact-bucket {value}"
            )));
        }
        if !declared.contains_key(key) {
            let hint = crate::diagnostic::did_you_mean(key, declared.keys().map(String::as_str))
                .map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"));
            let known: Vec<&str> = declared.keys().map(String::as_str).filter(|k| *k != ARTIFACT_BUCKET).collect();
            let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            return Err(Error::config(format!(
                "the template has no parameter `{key}`{hint}\nhelp: its parameters are: {known}"
            )));
        }
        values.insert(key.clone(), value.clone());
    }
    let missing: Vec<&str> = declared
        .iter()
        .filter(|(name, has_default)| !**has_default && !values.contains_key(*name) && *name != ARTIFACT_BUCKET)
        .map(|(name, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::config(format!(
            "the template needs a value for {}\nhelp: pass --param KEY=VALUE for each",
            missing.join(", ")
        )));
    }
    Ok(values.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn declared_of(v: &Value) -> BTreeMap<String, bool> {
        declared(v)
    }

    fn template() -> Value {
        json!({
            "Parameters": {
                "Email": { "Type": "String", "Default": "ops@example.com" },
                "Token": { "Type": "String" },
                "ArtifactBucket": { "Type": "String" }
            },
            "Resources": {
                "Stream": { "Type": "AWS::Kinesis::Stream", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain" },
                "Queue": { "Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete" }
            }
        })
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn keeps_defaults_to_the_template() {
        let d = declared_of(&template());
        let p = parameters(&d, &given(&[("Token", "t")])).unwrap();
        assert_eq!(p, given(&[("Token", "t")]));
    }

    #[test]
    fn unknown_parameter_suggests_a_name() {
        let d = declared_of(&template());
        let e = parameters(&d, &given(&[("Emial", "x"), ("Token", "t")])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("did you mean `Email`"), "{e}");
    }

    #[test]
    fn missing_value_is_named() {
        let d = declared_of(&template());
        let e = parameters(&d, &[]).unwrap_err();
        assert!(e.to_string().contains("needs a value for Token"), "{e}");
    }

    #[test]
    fn artifact_bucket_is_not_a_param() {
        let d = declared_of(&template());
        let e = parameters(&d, &given(&[("ArtifactBucket", "b")])).unwrap_err();
        assert!(e.to_string().contains("--artifact-bucket b"), "{e}");
    }

    #[test]
    fn policies_read_retain() {
        let p = Policies::of(&template());
        assert!(p.kept_on_delete("Stream") && p.kept_on_replace("Stream"));
        assert!(!p.kept_on_delete("Queue") && !p.kept_on_delete("Missing"));
    }
}
