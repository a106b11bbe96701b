//! `pipec view`: a stack's viewer (or any function URL) through a local proxy on 127.0.0.1
//! that signs requests with the caller's AWS credentials, through [`crate::deploy`] (only with
//! the `aws` feature).

use std::process::ExitCode;

/// What `pipec view` shows and how it reaches AWS.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
pub struct ViewArgs {
    /// The stack whose viewer to open (its `ViewerUrl` output).
    #[arg(long, required_unless_present = "url", conflicts_with = "url")]
    pub stack: Option<String>,
    /// A function URL to open instead of a stack's viewer.
    #[arg(long)]
    pub url: Option<String>,
    #[command(flatten)]
    pub aws: super::AwsArgs,
    /// Local port of the proxy (default: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Also launch the default browser on the printed URL.
    #[arg(long)]
    pub open: bool,
}

/// view: exit 0 done, 1 failed, 2 usage or configuration.
#[cfg(feature = "aws")]
pub(super) fn view(v: &ViewArgs) -> ExitCode {
    use crate::deploy;
    let c = v.aws.connection(std::time::Duration::from_mins(1));
    let viewed = match (&v.stack, &v.url) {
        (Some(stack), _) => deploy::Viewed::Stack(stack),
        (None, url) => deploy::Viewed::Url(url.as_deref().unwrap_or_default()),
    };
    match deploy::view(&c, &viewed, v.port, v.open) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(not(feature = "aws"))]
pub(super) fn view(_: &ViewArgs) -> ExitCode {
    super::stack::without_aws()
}
