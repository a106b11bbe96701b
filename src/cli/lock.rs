//! `pipec lock SPEC`: pins the connector jars of a `hot.engine: flink` pipeline in the
//! `pipec.lock` beside the spec ([`crate::deploy::lock`]), which `pipec deploy` then checks
//! every jar against. Exit 0 written, 1 failed or refused, 2 usage or configuration.

use std::path::Path;
use std::process::ExitCode;

/// Pins the jars and reports what was written (only with the `aws` feature, as `deploy`).
#[cfg(feature = "aws")]
pub(super) fn lock(spec: &Path, env: Option<&str>) -> ExitCode {
    let pipeline = match super::load::lowered(spec, env, "nothing was pinned") {
        Ok(pipeline) => pipeline,
        Err(code) => return code,
    };
    match crate::deploy::lock(&pipeline, spec) {
        Ok((path, lock)) => {
            let mut text = String::new();
            for jar in &lock.jars {
                text.push_str(&format!(
                    "pinned {}\n  sha512 {}\n  checked against {}.{}\n",
                    jar.coordinates, jar.sha512, jar.url, jar.verified_with
                ));
            }
            text.push_str(&format!(
                "wrote {} (commit it: `pipec deploy` checks every jar against it)\n",
                path.display()
            ));
            super::out(&text);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(not(feature = "aws"))]
pub(super) fn lock(_: &Path, _: Option<&str>) -> ExitCode {
    eprintln!(
        "error: this pipec was built without AWS support (cargo feature `aws`), so `pipec lock` (which pins the jars \
         `pipec deploy` packages) is unavailable\nhelp: rebuild with the default features"
    );
    ExitCode::from(2)
}
