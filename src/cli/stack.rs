//! `pipec deploy`, `diff`, `destroy` and `status`: the stack commands, one dispatch over
//! [`crate::deploy`] (only with the `aws` feature).

use std::process::ExitCode;

use super::Command;
#[cfg(feature = "aws")]
use super::{StackArgs, load};

/// deploy / diff / destroy / status: exit 0 done, 1 failed or refused, 2 usage or configuration.
#[cfg(feature = "aws")]
pub(super) fn stack(command: Command) -> ExitCode {
    use crate::deploy;
    let connection = |s: &StackArgs| s.aws.connection(s.timeout);
    let result = match command {
        Command::Deploy { spec, stack, template, yes } => {
            load::lowered(&spec, template.env.as_deref(), "nothing was deployed").map(|pipeline| {
                let request = deploy::Request {
                    pipeline: &pipeline,
                    spec: &spec,
                    stack: &stack.stack,
                    params: &template.params,
                    artifact_bucket: template.artifact_bucket.as_deref(),
                };
                deploy::deploy(&connection(&stack), &request, yes)
            })
        }
        Command::Diff { spec, stack, template } => {
            load::lowered(&spec, template.env.as_deref(), "nothing was deployed").map(|pipeline| {
                let request = deploy::Request {
                    pipeline: &pipeline,
                    spec: &spec,
                    stack: &stack.stack,
                    params: &template.params,
                    artifact_bucket: template.artifact_bucket.as_deref(),
                };
                deploy::diff(&connection(&stack), &request)
            })
        }
        Command::Destroy { stack, yes } => Ok(deploy::destroy(&connection(&stack), &stack.stack, yes)),
        Command::Status { stack } => Ok(deploy::status(&connection(&stack), &stack.stack)),
        _ => unreachable!("only the AWS commands are dispatched here"),
    };
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
        Err(code) => code,
    }
}

#[cfg(not(feature = "aws"))]
pub(super) fn stack(_: Command) -> ExitCode {
    without_aws()
}

/// The refusal of every AWS command (deploy, diff, destroy, status, view) in a build without
/// the `aws` feature.
#[cfg(not(feature = "aws"))]
pub(super) fn without_aws() -> ExitCode {
    eprintln!(
        "error: this pipec was built without AWS support (cargo feature `aws`), so deploy, diff, destroy, \
         status and view are unavailable\nhelp: rebuild with the default features (`cargo build`, or `cargo install pipec` \
         without `--no-default-features`); `pipec build --target cfn` writes a template to deploy by other means"
    );
    ExitCode::from(2)
}
