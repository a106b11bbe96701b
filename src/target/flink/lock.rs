//! `pipec.lock`: the connector jars' SHA-512s that a project pins itself, committed beside its
//! specs, for the jars this pipec names without a built-in pin ([`super::jars`]).
//!
//! The way npm's `package-lock.json` and Gradle's `verification-metadata.xml` work: an
//! explicit command (`pipec lock SPEC`) downloads each jar, checks it against the checksum the
//! Maven repository publishes beside it (`<jar>.sha512`, else `<jar>.sha1`) and writes the
//! jar's SHA-512 here; `pipec deploy` then checks every jar against it and refuses any other
//! bytes. One file per folder (`pipec.lock` beside the spec, like `Cargo.lock` for a
//! workspace): the jars depend on the pipec version and the engine, not on the spec, so every
//! flink spec of the folder shares them. A pin built into pipec wins; a lock that disagrees
//! with it is an error.
//!
//! The file is JSON (serde_json, already a dependency; `Pipfile.lock` and `composer.lock` are
//! JSON too), written deterministically: fixed key order, jars sorted by coordinates, no
//! dates, so the same pins give the same bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::jars::Jar;

/// The lock file's name, in the spec's folder.
pub const FILE: &str = "pipec.lock";
/// The format version this pipec writes and reads.
pub const VERSION: u32 = 1;
const NOTE: &str = "Written by `pipec lock`: the SHA-512 of each connector jar, checked against the Maven repository's \
                    published checksum. Commit it; `pipec deploy` refuses a jar with other bytes.";

/// The pins of one folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub version: u32,
    pub note: String,
    pub jars: Vec<Locked>,
}

/// One pinned jar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locked {
    /// `group:artifact:version`.
    pub coordinates: String,
    /// Where it was downloaded from when pinned.
    pub url: String,
    /// Its SHA-512, lower-case hex.
    pub sha512: String,
    /// The repository's checksum file it was checked against: `sha512` or `sha1`.
    pub verified_with: String,
}

/// Where the lock of a spec is: `pipec.lock` in its folder (the working folder for `-`).
#[must_use]
pub fn path_for(spec: &Path) -> PathBuf {
    match spec.parent() {
        Some(dir) if spec != Path::new("-") && !dir.as_os_str().is_empty() => dir.join(FILE),
        _ => PathBuf::from(FILE),
    }
}

fn is_sha512(text: &str) -> bool {
    text.len() == 128 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Lock {
    /// A lock of these jars, sorted by coordinates.
    #[must_use]
    pub fn new(mut jars: Vec<Locked>) -> Lock {
        jars.sort_by(|a, b| a.coordinates.cmp(&b.coordinates));
        Lock { version: VERSION, note: NOTE.to_owned(), jars }
    }

    /// Reads a lock's text.
    ///
    /// # Errors
    /// What is wrong with it: not this format, another version, a checksum that is not 128
    /// lower-case hex digits, a jar listed twice.
    pub fn parse(text: &str) -> Result<Lock, String> {
        let lock: Lock = serde_json::from_str(text).map_err(|e| format!("not a pipec lock file: {e}"))?;
        if lock.version != VERSION {
            return Err(format!("lock format version {} is not {VERSION}, the one this pipec reads", lock.version));
        }
        for (i, jar) in lock.jars.iter().enumerate() {
            if !is_sha512(&jar.sha512) {
                return Err(format!("{}: `sha512` is not 128 lower-case hex digits", jar.coordinates));
            }
            if lock.jars[..i].iter().any(|j| j.coordinates == jar.coordinates) {
                return Err(format!("{} is listed twice", jar.coordinates));
            }
        }
        Ok(lock)
    }

    /// Reads the lock at `path`; `None` when there is no such file.
    ///
    /// # Errors
    /// The file cannot be read or is not a valid lock (the message names the file).
    pub fn read(path: &Path) -> Result<Option<Lock>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Lock::parse(&text).map(Some).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// The file's text: pretty JSON and a final line end.
    #[must_use]
    pub fn render(&self) -> String {
        let mut sorted = self.clone();
        sorted.jars.sort_by(|a, b| a.coordinates.cmp(&b.coordinates));
        serde_json::to_string_pretty(&sorted).expect("a lock serializes") + "\n"
    }

    /// The entry of a jar.
    #[must_use]
    pub fn get(&self, jar: &Jar) -> Option<&Locked> {
        let coordinates = jar.coordinates();
        self.jars.iter().find(|j| j.coordinates == coordinates)
    }
}

/// The SHA-512 a jar must have: the pin built into pipec, else the lock's; `None` when neither
/// pins it.
///
/// # Errors
/// The lock pins other bytes than the built-in pin.
pub fn pin(jar: &Jar, lock: Option<&Lock>) -> Result<Option<String>, String> {
    let locked = lock.and_then(|l| l.get(jar));
    match (jar.sha512, locked) {
        (Some(builtin), Some(locked)) if locked.sha512 != builtin => Err(format!(
            "{FILE} pins {} to SHA-512 {}, but this pipec pins it to {builtin}: remove the jar's entry from {FILE} \
             (the built-in pin wins) and check where the other bytes came from",
            jar.coordinates(),
            locked.sha512
        )),
        (Some(builtin), _) => Ok(Some(builtin.to_owned())),
        (None, locked) => Ok(locked.map(|l| l.sha512.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAR: Jar = Jar { group: "org.example", artifact: "connector", version: "1.0", sha512: None };

    fn locked(sha512: &str) -> Locked {
        Locked {
            coordinates: JAR.coordinates(),
            url: JAR.url("https://repo.example/maven2"),
            sha512: sha512.to_owned(),
            verified_with: "sha512".to_owned(),
        }
    }

    #[test]
    fn renders_sorted_and_reads_back() {
        let other = Locked { coordinates: "a.b:c:1".into(), ..locked(&"b".repeat(128)) };
        let lock = Lock::new(vec![locked(&"a".repeat(128)), other]);
        assert_eq!(lock.jars[0].coordinates, "a.b:c:1");
        assert_eq!(Lock::parse(&lock.render()).unwrap(), lock);
        assert_eq!(lock.render(), Lock::new(lock.jars.iter().rev().cloned().collect()).render());
    }

    #[test]
    fn refuses_what_is_not_a_lock() {
        let mut lock = Lock::new(vec![locked("ABC")]);
        assert!(Lock::parse(&lock.render()).unwrap_err().contains("128 lower-case hex"));
        lock.jars = vec![locked(&"a".repeat(128)), locked(&"a".repeat(128))];
        assert!(Lock::parse(&lock.render()).unwrap_err().contains("listed twice"));
        assert!(Lock::parse("{}").unwrap_err().starts_with("not a pipec lock file"));
        let text = Lock::new(vec![]).render().replace("\"version\": 1", "\"version\": 2");
        assert!(Lock::parse(&text).unwrap_err().contains("version 2"));
    }

    #[test]
    fn a_builtin_pin_wins_and_a_disagreeing_lock_is_an_error() {
        let lock = Lock::new(vec![locked(&"a".repeat(128))]);
        assert_eq!(pin(&JAR, Some(&lock)).unwrap(), Some("a".repeat(128)));
        assert_eq!(pin(&JAR, None).unwrap(), None);
        let builtin: &'static str = Box::leak("c".repeat(128).into_boxed_str());
        let pinned = Jar { sha512: Some(builtin), ..JAR };
        assert_eq!(pin(&pinned, None).unwrap().as_deref(), Some(builtin));
        let err = pin(&pinned, Some(&lock)).unwrap_err();
        assert!(err.contains(&"a".repeat(128)) && err.contains(builtin), "{err}");
        let agreeing = Lock::new(vec![locked(builtin)]);
        assert_eq!(pin(&pinned, Some(&agreeing)).unwrap().as_deref(), Some(builtin));
    }

    #[test]
    fn the_lock_is_beside_the_spec() {
        assert_eq!(path_for(Path::new("specs/pay.yaml")), Path::new("specs/pipec.lock"));
        assert_eq!(path_for(Path::new("pay.yaml")), Path::new("pipec.lock"));
        assert_eq!(path_for(Path::new("-")), Path::new("pipec.lock"));
    }
}
