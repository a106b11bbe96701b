//! Snapshot names for `insta::glob!` runs over several folders of the repository.
//!
//! `glob!` walks every file under its base folder, so each call names the one folder it reads
//! (`glob!("../examples", "*.yaml", ...)`), never the repository or `tests/`: a walk over those
//! crosses `target/` and the tests' scratch files, which other tests create and delete while it
//! runs, and a file that vanishes mid-walk panics it (CI, whose target directory is inside the
//! clone, failed so). A test that globs several folders names its snapshots by the spec's path
//! in the repository (`cfn@examples__clickstream.yaml`), so two folders' files never share one.
//!
//! ```ignore
//! #[path = "support/specs.rs"]
//! mod specs;
//! ```
#![allow(dead_code)]

use std::path::Path;

/// Runs `f` with the snapshot suffix set to `spec`'s path relative to the repository.
pub fn named_by_repo_path(spec: &Path, f: impl FnOnce()) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let relative = spec.strip_prefix(&root).unwrap_or(spec);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(relative.to_str().unwrap());
    settings.bind(f);
}
