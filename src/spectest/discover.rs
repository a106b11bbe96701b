//! Where a spec's tests are when none are named, in this order: the sibling `<stem>.tests.yaml`,
//! `tests/<stem>.tests.yaml` beside the spec (one `tests/` folder for the specs of a folder),
//! and every `*.yaml` / `*.yml` under `tests/<stem>/` (sorted by name).

use std::path::{Path, PathBuf};

/// The default test files of `spec` that exist, and the places looked at (for the message when
/// there are none).
#[must_use]
pub fn default_files(spec: &Path) -> (Vec<PathBuf>, [PathBuf; 3]) {
    let dir = spec.parent().unwrap_or(Path::new(""));
    let stem = spec.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let sibling = dir.join(format!("{stem}.tests.yaml"));
    let shared = dir.join("tests").join(format!("{stem}.tests.yaml"));
    let folder = dir.join("tests").join(&stem);
    let mut found: Vec<PathBuf> = [&sibling, &shared].into_iter().filter(|p| p.is_file()).cloned().collect();
    if let Ok(entries) = std::fs::read_dir(&folder) {
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        found.extend(files);
    }
    (found, [sibling, shared, folder])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sibling_and_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("bank.yaml");
        assert!(default_files(&spec).0.is_empty());
        std::fs::write(dir.path().join("bank.tests.yaml"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("tests/bank")).unwrap();
        std::fs::write(dir.path().join("tests/bank.tests.yaml"), "").unwrap();
        for name in ["b.yaml", "a.yml", "notes.txt"] {
            std::fs::write(dir.path().join("tests/bank").join(name), "").unwrap();
        }
        let names: Vec<String> =
            default_files(&spec).0.iter().map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string()).collect();
        assert_eq!(names, ["bank.tests.yaml", "tests/bank.tests.yaml", "tests/bank/a.yml", "tests/bank/b.yaml"]);
    }
}
