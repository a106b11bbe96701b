//! `hot.engine: flink` in HCL: the same Managed Service for Apache Flink application as the
//! `CloudFormation` target, resource by resource, with two differences that Terraform allows:
//! the application's zip is built here by `archive_file` from `flink/` (the program, the SQL,
//! and the connector jars the deployer puts under `flink/lib/`, checked by `filesha512`
//! against their pins — pipec's own (`target::flink::jars`) or, else, those of the
//! `pipec.lock` beside the spec that `pipec build` read (`target::flink::lock`) — and only
//! for presence when neither pins them) and uploaded with `aws_s3_object`
//! to the bucket `var.flink_code_bucket`; and `start_application = true` starts it.

use hcl::expr::{BinaryOp, BinaryOperator};
use hcl::{Block, Body, Expression};

use super::iam;
use super::module::{Module, Part, block, call, data, keyword, resource, string_object, template, traversal, var};
use super::refs::{ALERTS_STREAM, CODE_BUCKET, alerts_stream, stream};
use crate::ir::Pipeline;
use crate::target::Artifact;
use crate::target::aws::flink::{
    ALERTS_RETENTION_HOURS, ALERTS_SHARDS, CHECKPOINT_INTERVAL_MS, LOG_STREAM, MIN_PAUSE_BETWEEN_CHECKPOINTS_MS,
    PROPERTIES, PROPERTY_GROUP_ID, Property, RUN_OPTIONS, RUNTIME, alerts_stream_name, application_name,
    log_group_name, on_flink, parallelism, run_options,
};
use crate::target::aws::{permissions, skips};
use crate::target::flink::jars::{JARS, MAVEN_CENTRAL};
use crate::target::flink::lock::{self, Lock};
use crate::target::flink::program;

const LABEL: &str = "flink_application";
pub const LOG_GROUP: &str = "flink_application_log_group";
const LOG_STREAM_LABEL: &str = "flink_application_log_stream";
const ROLE: &str = "flink_application_role";

pub fn add_flink(m: &mut Module, p: &Pipeline, lock: Option<&Lock>) -> Result<(), String> {
    if !on_flink(p) {
        return Ok(());
    }
    m.resource(
        "aws_kinesis_stream",
        ALERTS_STREAM,
        Body::builder()
            .add_attribute(("name", alerts_stream_name(p)))
            .add_attribute(("shard_count", ALERTS_SHARDS))
            .add_attribute(("retention_period", ALERTS_RETENTION_HOURS))
            .add_attribute(("encryption_type", "KMS"))
            .add_attribute(("kms_key_id", "alias/aws/kinesis"))
            .add_block(block(
                "stream_mode_details",
                Body::builder().add_attribute(("stream_mode", "PROVISIONED")).build(),
            ))
            .build(),
        &[],
    );
    m.output(
        "alerts_stream_name",
        "Stream of the Flink application's alerts (read by the alerts function)",
        alerts_stream("name"),
    );
    m.resource(
        "aws_cloudwatch_log_group",
        LOG_GROUP,
        Body::builder().add_attribute(("name", log_group_name(p))).add_attribute(("retention_in_days", 365)).build(),
        skips::LOG_GROUP,
    );
    m.resource(
        "aws_cloudwatch_log_stream",
        LOG_STREAM_LABEL,
        Body::builder()
            .add_attribute(("name", LOG_STREAM))
            .add_attribute(("log_group_name", resource("aws_cloudwatch_log_group", LOG_GROUP, "name")))
            .build(),
        &[],
    );
    let name = application_name(p);
    iam::role(m, p, ROLE, LOG_GROUP, "kinesisanalytics", &format!("{name}-policy"), &permissions::flink_application(p));
    code(m, p, &name, lock)?;

    let properties = PROPERTIES
        .iter()
        .map(|(key, property)| {
            let value = match property {
                Property::Region => data("aws_region", "current", "region"),
                Property::InputStreamArn => stream("arn"),
                Property::OutputStreamArn => alerts_stream("arn"),
            };
            ((*key).to_owned(), value)
        })
        .collect();
    let options = run_options().into_iter().map(|(k, v)| (k.to_owned(), Expression::String(v))).collect();
    let group = |id: &str, map: Expression| {
        block(
            "property_group",
            Body::builder().add_attribute(("property_group_id", id)).add_attribute(("property_map", map)).build(),
        )
    };
    let code_content = block(
        "code_content",
        Body::builder()
            .add_block(block(
                "s3_content_location",
                Body::builder()
                    .add_attribute(("bucket_arn", bucket_arn(m)))
                    .add_attribute(("file_key", resource("aws_s3_object", LABEL, "key")))
                    .build(),
            ))
            .build(),
    );
    let configuration = Body::builder()
        .add_block(block(
            "application_code_configuration",
            Body::builder().add_block(code_content).add_attribute(("code_content_type", "ZIPFILE")).build(),
        ))
        .add_block(block(
            "application_snapshot_configuration",
            Body::builder().add_attribute(("snapshots_enabled", true)).build(),
        ))
        .add_block(block(
            "environment_properties",
            Body::builder()
                .add_block(group(RUN_OPTIONS, string_object(options)))
                .add_block(group(PROPERTY_GROUP_ID, string_object(properties)))
                .build(),
        ))
        .add_block(block(
            "flink_application_configuration",
            Body::builder()
                .add_block(block(
                    "checkpoint_configuration",
                    Body::builder()
                        .add_attribute(("configuration_type", "CUSTOM"))
                        .add_attribute(("checkpointing_enabled", true))
                        .add_attribute(("checkpoint_interval", CHECKPOINT_INTERVAL_MS))
                        .add_attribute(("min_pause_between_checkpoints", MIN_PAUSE_BETWEEN_CHECKPOINTS_MS))
                        .build(),
                ))
                .add_block(block(
                    "monitoring_configuration",
                    Body::builder()
                        .add_attribute(("configuration_type", "CUSTOM"))
                        .add_attribute(("log_level", "INFO"))
                        .add_attribute(("metrics_level", "APPLICATION"))
                        .build(),
                ))
                .add_block(block(
                    "parallelism_configuration",
                    Body::builder()
                        .add_attribute(("configuration_type", "CUSTOM"))
                        .add_attribute(("parallelism", parallelism(p)))
                        .add_attribute(("parallelism_per_kpu", 1))
                        .add_attribute(("auto_scaling_enabled", false))
                        .build(),
                ))
                .build(),
        ))
        .build();
    m.resource(
        "aws_kinesisanalyticsv2_application",
        LABEL,
        Body::builder()
            .add_attribute(("name", name.as_str()))
            .add_attribute(("description", format!("pipec {}: the hot rules in Flink SQL, in event time", p.name)))
            .add_attribute(("runtime_environment", RUNTIME))
            .add_attribute(("service_execution_role", resource("aws_iam_role", ROLE, "arn")))
            .add_attribute(("start_application", true))
            .add_block(block("application_configuration", configuration))
            .add_block(block(
                "cloudwatch_logging_options",
                Body::builder()
                    .add_attribute(("log_stream_arn", resource("aws_cloudwatch_log_stream", LOG_STREAM_LABEL, "arn")))
                    .build(),
            ))
            // The role's policy must exist before the application checks what it may read.
            .add_attribute(("depends_on", Expression::Array(vec![traversal("aws_iam_role_policy", &[ROLE])])))
            .build(),
        &[],
    );
    m.output(
        "flink_application_name",
        "The Flink application",
        resource("aws_kinesisanalyticsv2_application", LABEL, "name"),
    );
    Ok(())
}

/// `arn:<partition>:s3:::<var.flink_code_bucket>`.
fn bucket_arn(m: &mut Module) -> Expression {
    m.data("aws_partition", "current", Body::builder().build());
    template(&[
        Part::Text("arn:"),
        Part::Expr(data("aws_partition", "current", "partition")),
        Part::Text(":s3:::"),
        Part::Expr(var(CODE_BUCKET)),
    ])
}

/// The program's sources under `flink/`, what the jars are (`flink/lib/JARS.txt`), the zip and
/// its upload, and the variable naming the bucket.
fn code(m: &mut Module, p: &Pipeline, name: &str, lock: Option<&Lock>) -> Result<(), String> {
    for (file, source) in program::files(p)? {
        m.sources.push(Artifact {
            path: format!("flink/{file}"),
            bytes: source.into_bytes(),
            role: "Flink application source (packaged by archive_file)",
        });
    }
    m.sources.push(Artifact {
        path: "flink/lib/JARS.txt".into(),
        bytes: jars_text(lock)?.into_bytes(),
        role: "the connector jars to put beside it",
    });
    m.variables.push(
        Block::builder("variable")
            .add_label(CODE_BUCKET)
            .add_attribute((
                "description",
                "An existing S3 bucket (versioned, encrypted) the Flink application's zip is uploaded to",
            ))
            .add_attribute(("type", keyword("string")))
            .build(),
    );
    let path_module = traversal("path", &["module"]);
    m.data(
        "archive_file",
        LABEL,
        Body::builder()
            .add_attribute(("type", "zip"))
            .add_attribute(("source_dir", template(&[Part::Expr(path_module.clone()), Part::Text("/flink")])))
            .add_attribute((
                "output_path",
                template(&[Part::Expr(path_module.clone()), Part::Text(&format!("/build/{name}.zip"))]),
            ))
            .build(),
    );
    let mut lifecycle = Body::builder();
    for jar in JARS {
        let path = template(&[Part::Expr(path_module.clone()), Part::Text(&format!("/flink/{}", jar.zip_path()))]);
        let pin = lock::pin(jar, lock)?;
        let condition = match &pin {
            Some(sha512) => Expression::from(BinaryOp::new(
                call("try", vec![call("filesha512", vec![path]), Expression::String(String::new())]),
                BinaryOperator::Eq,
                Expression::String(sha512.clone()),
            )),
            None => call("fileexists", vec![path]),
        };
        let message = match pin {
            Some(_) => format!(
                "flink/{} must be {} with its pinned SHA-512 (see flink/lib/JARS.txt).",
                jar.zip_path(),
                jar.coordinates()
            ),
            None => format!(
                "flink/{} must be {} (see flink/lib/JARS.txt; `pipec lock SPEC` pins its SHA-512 for this check).",
                jar.zip_path(),
                jar.coordinates()
            ),
        };
        lifecycle = lifecycle.add_block(block(
            "precondition",
            Body::builder().add_attribute(("condition", condition)).add_attribute(("error_message", message)).build(),
        ));
    }
    m.resource(
        "aws_s3_object",
        LABEL,
        Body::builder()
            .add_attribute(("bucket", var(CODE_BUCKET)))
            .add_attribute(("key", format!("pipec/{}/{name}.zip", p.name)))
            .add_attribute(("source", data("archive_file", LABEL, "output_path")))
            .add_attribute(("source_hash", data("archive_file", LABEL, "output_base64sha256")))
            .add_block(block("lifecycle", lifecycle.build()))
            .build(),
        &[],
    );
    Ok(())
}

/// `flink/lib/JARS.txt`: each jar's coordinates, URL and pin (and where the pin comes from).
fn jars_text(lock: Option<&Lock>) -> Result<String, String> {
    let mut text = String::from(
        "The Flink application's zip holds the connector jar(s) below under lib/. Put each here\n\
         (flink/lib/) before `terraform apply`; the plan checks it is there, and its SHA-512 when\n\
         it is pinned: by pipec itself, or by the pipec.lock beside the spec (`pipec lock SPEC`\n\
         writes it; `pipec build --target terraform` reads it). `pipec deploy` does the same for\n\
         CloudFormation by itself.\n\n",
    );
    for jar in JARS {
        let sha512 = match (jar.sha512, lock::pin(jar, lock)?) {
            (Some(builtin), _) => format!("{builtin} (pinned by pipec)"),
            (None, Some(locked)) => format!("{locked} (pinned by pipec.lock)"),
            (None, None) => "not pinned: run `pipec lock SPEC`, then build again, to have the plan check it".to_owned(),
        };
        text.push_str(&format!(
            "{}\n  file:    {}\n  url:     {}\n  sha512:  {sha512}\n\n",
            jar.coordinates(),
            jar.file_name(),
            jar.url(MAVEN_CENTRAL),
        ));
    }
    Ok(text)
}
