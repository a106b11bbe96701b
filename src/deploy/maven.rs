//! The Flink application's connector jars, fetched when `pipec deploy` packages the application:
//! each jar of [`crate::target::flink::jars::JARS`] is read from the cache, or downloaded from
//! the Maven repository (Maven Central unless `PIPEC_MAVEN_REPOSITORY` names another, such as
//! a mirror), checked against its pin (built into pipec, else in the spec folder's
//! `pipec.lock`: [`crate::target::flink::lock`]), kept in the cache and packed under `lib/` of
//! the application's zip. A jar without a pin, or whose bytes do not match it, is refused:
//! nothing unchecked is uploaded. `pipec build` never comes here.
//!
//! [`lock`] (`pipec lock SPEC`) makes the pins: it downloads each jar, checks it against the
//! checksum the repository publishes beside it (`<jar>.sha512`, else `<jar>.sha1`, the
//! strongest there is) and returns the lock to write.

use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha1::Sha1;
use sha2::{Digest, Sha512};

use super::error::Error;
use crate::target::flink::jars::{Jar, MAVEN_CENTRAL};
use crate::target::flink::lock::{self, Lock, Locked};

/// Jars larger than this are refused (the Kinesis SQL connector is a few tens of MB).
const MAX_JAR_BYTES: u64 = 512 * 1024 * 1024;

/// Where jars come from and are kept.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    /// The Maven repository's base URL.
    pub repository: String,
    /// The cache folder (`<cache>/<group path>/<artifact>/<version>/<file>`).
    pub cache: PathBuf,
}

impl Source {
    /// `PIPEC_MAVEN_REPOSITORY` (default Maven Central) and `PIPEC_MAVEN_CACHE` (default
    /// `$XDG_CACHE_HOME/pipec/maven`, else `~/.cache/pipec/maven`).
    pub(crate) fn from_env() -> Source {
        let repository = std::env::var("PIPEC_MAVEN_REPOSITORY")
            .ok()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| MAVEN_CENTRAL.to_owned());
        let cache = std::env::var_os("PIPEC_MAVEN_CACHE").map_or_else(
            || {
                let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
                    || std::env::var_os("HOME").map_or_else(std::env::temp_dir, |h| PathBuf::from(h).join(".cache")),
                    PathBuf::from,
                );
                base.join("pipec").join("maven")
            },
            PathBuf::from,
        );
        Source { repository, cache }
    }

    fn cached(&self, jar: &Jar) -> PathBuf {
        self.cache.join(jar.group.replace('.', "/")).join(jar.artifact).join(jar.version).join(jar.file_name())
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().fold(String::with_capacity(digest.len() * 2), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

fn sha512_hex(bytes: &[u8]) -> String {
    hex(&Sha512::digest(bytes))
}

/// Where a spec's jars are pinned: the lock file's path and the spec as the user named it (for
/// the command that pins them).
pub(crate) struct Pins<'a> {
    pub lock: Option<&'a Lock>,
    pub lock_path: &'a Path,
    pub spec: &'a Path,
}

/// The SHA-512 the jar must have, or why it cannot be packaged (not pinned: the error names
/// the command that pins it).
fn pin_of(jar: &Jar, pins: &Pins<'_>) -> Result<String, Error> {
    let pin = lock::pin(jar, pins.lock).map_err(|e| Error::config(format!("{}: {e}", pins.lock_path.display())))?;
    pin.ok_or_else(|| {
        Error::config(format!(
            "the connector jar {} is not pinned: this pipec has no SHA-512 for it and {} {}, so `pipec deploy` will not \
             package the Flink application with unchecked bytes\nhelp: run `pipec lock {}` to download it, check it \
             against the Maven repository's published checksum and write its SHA-512 to {}; commit that file",
            jar.coordinates(),
            pins.lock_path.display(),
            if pins.lock.is_some() { "does not list it" } else { "does not exist" },
            pins.spec.display(),
            pins.lock_path.display()
        ))
    })
}

/// The jar's bytes, checked against `pin`: from the cache when they match, else downloaded
/// (and cached).
pub(crate) fn fetch(jar: &Jar, pin: &str, source: &Source) -> Result<Vec<u8>, Error> {
    let path = source.cached(jar);
    if let Ok(bytes) = std::fs::read(&path)
        && sha512_hex(&bytes) == pin
    {
        return Ok(bytes);
    }
    let url = jar.url(&source.repository);
    let bytes = download(&url).map_err(|e| {
        Error::failed(format!(
            "could not download the connector jar {} from {url}: {e}\nhelp: set PIPEC_MAVEN_REPOSITORY to a Maven \
             repository (or mirror) this machine can reach, or put the jar at {}",
            jar.coordinates(),
            path.display()
        ))
    })?;
    let got = sha512_hex(&bytes);
    if got != pin {
        return Err(Error::failed(format!(
            "the connector jar {} from {url} has SHA-512 {got}, not the pinned {pin}: refusing to package it\nhelp: \
             the repository served other bytes than the release pipec pins; check PIPEC_MAVEN_REPOSITORY",
            jar.coordinates()
        )));
    }
    cache(&path, &bytes)?;
    Ok(bytes)
}

/// An HTTP agent for the Maven repository: 20 s to connect, `whole` for the whole request.
fn agent(whole: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_global(Some(whole))
        .build()
        .into()
}

fn download(url: &str) -> Result<Vec<u8>, String> {
    let mut response = agent(Duration::from_mins(10)).get(url).call().map_err(|e| e.to_string())?;
    response.body_mut().with_config().limit(MAX_JAR_BYTES).read_to_vec().map_err(|e| e.to_string())
}

/// A checksum file's bytes; `None` when the repository has none (HTTP 404).
fn download_checksum(url: &str) -> Result<Option<Vec<u8>>, String> {
    match agent(Duration::from_mins(1)).get(url).call() {
        Ok(mut response) => {
            response.body_mut().with_config().limit(4096).read_to_vec().map(Some).map_err(|e| e.to_string())
        }
        Err(ureq::Error::StatusCode(404)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The hex digest a checksum file holds (its first word, as Maven writes `<hex>` or `<hex>
/// <file>`), when it is `digits` hex digits.
fn published(bytes: &[u8], digits: usize) -> Option<String> {
    let word = std::str::from_utf8(bytes).ok()?.split_whitespace().next()?.to_ascii_lowercase();
    (word.len() == digits && word.bytes().all(|b| b.is_ascii_hexdigit())).then_some(word)
}

/// Pins each jar (`pipec lock`): downloads it, checks it against the repository's published
/// `.sha512` (or, where the repository has none, `.sha1`), caches it, and returns the lock to
/// write. A jar with a built-in pin, or already in `existing`, must have exactly those bytes.
pub(crate) fn lock(jars: &[Jar], source: &Source, existing: Option<&Lock>, lock_path: &Path) -> Result<Lock, Error> {
    let mut locked = Vec::new();
    for jar in jars {
        let url = jar.url(&source.repository);
        let unreachable = |what: &str, e: String| {
            Error::failed(format!(
                "could not download {what} of the connector jar {} from {url}: {e}\nhelp: set PIPEC_MAVEN_REPOSITORY to a \
                 Maven repository (or mirror) this machine can reach",
                jar.coordinates()
            ))
        };
        let (algorithm, expected) = match download_checksum(&format!("{url}.sha512"))
            .map_err(|e| unreachable("the .sha512", e))?
        {
            Some(bytes) => ("sha512", published(&bytes, 128)),
            None => match download_checksum(&format!("{url}.sha1")).map_err(|e| unreachable("the .sha1", e))? {
                Some(bytes) => ("sha1", published(&bytes, 40)),
                None => {
                    return Err(Error::failed(format!(
                        "the Maven repository publishes no checksum for the connector jar {} ({url}.sha512 and .sha1 are \
                         missing), so pipec cannot check what it downloads\nhelp: use a repository that publishes them \
                         (PIPEC_MAVEN_REPOSITORY), e.g. Maven Central",
                        jar.coordinates()
                    )));
                }
            },
        };
        let Some(expected) = expected else {
            return Err(Error::failed(format!(
                "{url}.{algorithm} is not a {algorithm} checksum: refusing to pin {}",
                jar.coordinates()
            )));
        };
        let bytes = download(&url).map_err(|e| unreachable("the jar", e))?;
        let sha512 = sha512_hex(&bytes);
        let got = if algorithm == "sha512" { sha512.clone() } else { hex(&Sha1::digest(&bytes)) };
        if got != expected {
            return Err(Error::failed(format!(
                "the connector jar {} from {url} has {algorithm} {got}, but the repository publishes {expected} in \
                 {url}.{algorithm}: refusing to pin it\nhelp: the download or the repository is corrupt; try again or \
                 another PIPEC_MAVEN_REPOSITORY",
                jar.coordinates()
            )));
        }
        let previous = lock::pin(jar, existing).map_err(|e| Error::config(format!("{}: {e}", lock_path.display())))?;
        if let Some(previous) = previous.filter(|p| *p != sha512) {
            return Err(Error::failed(format!(
                "the connector jar {} from {url} has SHA-512 {sha512}, but it is pinned to {previous} (in {} or this \
                 pipec): the repository now serves other bytes for the same release, so nothing was written\nhelp: find \
                 out why first; to trust the new bytes, delete the jar's entry from {} and run `pipec lock` again",
                jar.coordinates(),
                lock_path.display(),
                lock_path.display()
            )));
        }
        let path = source.cached(jar);
        cache(&path, &bytes)?;
        locked.push(Locked { coordinates: jar.coordinates(), url, sha512, verified_with: algorithm.to_owned() });
    }
    Ok(Lock::new(locked))
}

/// Keeps a checked jar in the cache (written atomically).
fn cache(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::target::write_file(path, bytes)
        .map_err(|e| Error::failed(format!("could not cache {}: {e}", path.display())))
}

/// The application's zip with each jar added under `lib/` (fixed timestamps, stored as they
/// are: jars are compressed already).
pub(crate) fn with_jars(zip: &[u8], jars: &[Jar], pins: &Pins<'_>, source: &Source) -> Result<Vec<u8>, Error> {
    let internal = |e: zip::result::ZipError| Error::failed(format!("internal error adding the connector jars: {e}"));
    let mut writer = zip::ZipWriter::new_append(Cursor::new(zip.to_vec())).map_err(internal)?;
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644)
        .large_file(true);
    let pinned = jars.iter().map(|jar| pin_of(jar, pins)).collect::<Result<Vec<_>, _>>()?;
    for (jar, pin) in jars.iter().zip(&pinned) {
        let bytes = fetch(jar, pin, source)?;
        writer.start_file(jar.zip_path(), options).map_err(internal)?;
        writer.write_all(&bytes).map_err(|e| internal(e.into()))?;
    }
    Ok(writer.finish().map_err(internal)?.into_inner())
}

#[cfg(test)]
#[path = "../../tests/support/maven_repository.rs"]
mod maven_repository;

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::net::TcpListener;

    use super::maven_repository::serve;
    use super::*;

    const FAKE: &[u8] = b"PK fake connector jar for the packaging test";
    const JAR_FILE: &str = "fake-connector-1.0-2.2.jar";

    fn fake(sha512: Option<&'static str>) -> Jar {
        Jar { group: "org.example.flink", artifact: "fake-connector", version: "1.0-2.2", sha512 }
    }

    fn pinned() -> &'static str {
        // The test's own pin, computed once from the bytes it serves.
        Box::leak(sha512_hex(FAKE).into_boxed_str())
    }

    fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).unwrap();
                (file.name().unwrap().to_string(), bytes)
            })
            .collect()
    }

    fn app() -> Vec<u8> {
        crate::target::aws::lambda::zip_files(&[("main.py", "print()\n".to_owned())]).unwrap()
    }

    fn pins(lock: Option<&Lock>) -> Pins<'_> {
        Pins { lock, lock_path: Path::new("specs/pipec.lock"), spec: Path::new("specs/pay.yaml") }
    }

    /// A checksum file as Maven Central writes them: the hex digest (and, for some, the file).
    fn published_file(digest: &str) -> Vec<u8> {
        format!("{digest}  {JAR_FILE}\n").into_bytes()
    }

    #[test]
    fn downloads_checks_caches_and_packs_a_pinned_jar() {
        let cache = tempfile::tempdir().unwrap();
        let (repository, server) = serve(vec![(JAR_FILE, FAKE.to_vec())], 1);
        let source = Source { repository, cache: cache.path().to_owned() };
        let jar = fake(Some(pinned()));
        let zip = with_jars(&app(), &[jar], &pins(None), &source).unwrap();
        assert_eq!(
            entries(&zip),
            [
                ("main.py".to_owned(), b"print()\n".to_vec()),
                ("lib/fake-connector-1.0-2.2.jar".to_owned(), FAKE.to_vec())
            ]
        );
        assert_eq!(
            server.join().unwrap(),
            ["/maven2/org/example/flink/fake-connector/1.0-2.2/fake-connector-1.0-2.2.jar"]
        );
        // Cached: the second packaging makes no request (the server is gone) and gives the same bytes.
        assert_eq!(with_jars(&app(), &[jar], &pins(None), &source).unwrap(), zip);
    }

    #[test]
    fn a_checksum_mismatch_is_refused_and_not_cached() {
        let cache = tempfile::tempdir().unwrap();
        let (repository, server) = serve(vec![(JAR_FILE, b"other bytes".to_vec())], 1);
        let source = Source { repository, cache: cache.path().to_owned() };
        let err = fetch(&fake(None), pinned(), &source).unwrap_err().to_string();
        server.join().unwrap();
        assert!(err.contains("org.example.flink:fake-connector:1.0-2.2"), "{err}");
        assert!(err.contains(&format!("not the pinned {}", pinned())), "{err}");
        assert!(err.contains(&sha512_hex(b"other bytes")), "{err}");
        assert!(!source.cached(&fake(None)).exists(), "a refused jar is not cached");
    }

    #[test]
    fn an_unpinned_jar_is_refused_before_any_download_naming_the_command_that_pins_it() {
        let source = Source { repository: "http://127.0.0.1:9/unused".into(), cache: std::env::temp_dir() };
        let err = with_jars(&app(), &[fake(None)], &pins(None), &source).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = err.to_string();
        assert!(err.contains("is not pinned") && err.contains("specs/pipec.lock does not exist"), "{err}");
        assert!(err.contains("run `pipec lock specs/pay.yaml`"), "{err}");
        let other = Lock::new(vec![]);
        let err = with_jars(&app(), &[fake(None)], &pins(Some(&other)), &source).unwrap_err().to_string();
        assert!(err.contains("specs/pipec.lock does not list it"), "{err}");
    }

    #[test]
    fn an_unreachable_repository_says_how_to_fix_it() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let cache = tempfile::tempdir().unwrap();
        let source = Source { repository: url, cache: cache.path().to_owned() };
        let err = fetch(&fake(None), pinned(), &source).unwrap_err().to_string();
        assert!(err.contains("could not download") && err.contains("PIPEC_MAVEN_REPOSITORY"), "{err}");
        let err = lock(&[fake(None)], &source, None, Path::new("pipec.lock")).unwrap_err().to_string();
        assert!(err.contains("could not download the .sha512") && err.contains("PIPEC_MAVEN_REPOSITORY"), "{err}");
    }

    #[test]
    fn pinning_checks_the_published_sha512_and_deploy_uses_the_lock() {
        let cache = tempfile::tempdir().unwrap();
        let files = vec![(JAR_FILE, FAKE.to_vec()), ("fake-connector-1.0-2.2.jar.sha512", published_file(pinned()))];
        let (repository, server) = serve(files, 2);
        let source = Source { repository: repository.clone(), cache: cache.path().to_owned() };
        let locked = lock(&[fake(None)], &source, None, Path::new("pipec.lock")).unwrap();
        assert_eq!(server.join().unwrap().len(), 2, "the .sha512, then the jar");
        assert_eq!((locked.jars[0].sha512.as_str(), locked.jars[0].verified_with.as_str()), (pinned(), "sha512"));
        insta::assert_snapshot!("pipec_lock", locked.render().replace(&repository, "http://127.0.0.1:PORT/maven2"));
        assert_eq!(Lock::parse(&locked.render()).unwrap(), locked);

        // Deploy packs the jar with the lock's pin: from the cache pinning filled (no server).
        let zip = with_jars(&app(), &[fake(None)], &pins(Some(&locked)), &source).unwrap();
        assert_eq!(entries(&zip)[1], ("lib/fake-connector-1.0-2.2.jar".to_owned(), FAKE.to_vec()));

        // A tampered jar (in the cache and on the server): refused, naming both checksums.
        std::fs::write(source.cached(&fake(None)), b"tampered").unwrap();
        let (repository, server) = serve(vec![(JAR_FILE, b"tampered".to_vec())], 1);
        let source = Source { repository, cache: cache.path().to_owned() };
        let err = with_jars(&app(), &[fake(None)], &pins(Some(&locked)), &source).unwrap_err().to_string();
        server.join().unwrap();
        assert!(
            err.contains(&sha512_hex(b"tampered")) && err.contains(&format!("not the pinned {}", pinned())),
            "{err}"
        );

        // Pinning again while the repository serves other bytes for the release: refused.
        let other = b"other release bytes".to_vec();
        let files =
            vec![(JAR_FILE, other.clone()), ("fake-connector-1.0-2.2.jar.sha512", published_file(&sha512_hex(&other)))];
        let (repository, server) = serve(files, 2);
        let source = Source { repository, cache: cache.path().to_owned() };
        let err = lock(&[fake(None)], &source, Some(&locked), Path::new("pipec.lock")).unwrap_err().to_string();
        server.join().unwrap();
        assert!(
            err.contains("now serves other bytes") && err.contains(pinned()) && err.contains(&sha512_hex(&other)),
            "{err}"
        );
    }

    #[test]
    fn pinning_falls_back_to_the_published_sha1() {
        let cache = tempfile::tempdir().unwrap();
        let sha1 = hex(&Sha1::digest(FAKE));
        let files = vec![(JAR_FILE, FAKE.to_vec()), ("fake-connector-1.0-2.2.jar.sha1", sha1.into_bytes())];
        let (repository, server) = serve(files, 3);
        let source = Source { repository, cache: cache.path().to_owned() };
        let locked = lock(&[fake(None)], &source, None, Path::new("pipec.lock")).unwrap();
        let asked: Vec<String> =
            server.join().unwrap().iter().map(|p| p.rsplit('/').next().unwrap().to_owned()).collect();
        assert_eq!(asked, [format!("{JAR_FILE}.sha512"), format!("{JAR_FILE}.sha1"), JAR_FILE.to_owned()]);
        assert_eq!((locked.jars[0].sha512.as_str(), locked.jars[0].verified_with.as_str()), (pinned(), "sha1"));
    }

    #[test]
    fn pinning_refuses_a_missing_wrong_or_malformed_published_checksum() {
        let cache = tempfile::tempdir().unwrap();
        let pin = |files: Vec<(&'static str, Vec<u8>)>, requests: usize| {
            let (repository, server) = serve(files, requests);
            let source = Source { repository, cache: cache.path().to_owned() };
            let err = lock(&[fake(None)], &source, None, Path::new("pipec.lock")).unwrap_err().to_string();
            server.join().unwrap();
            err
        };
        let err = pin(vec![(JAR_FILE, FAKE.to_vec())], 2);
        assert!(err.contains("publishes no checksum"), "{err}");
        let wrong = "0".repeat(128);
        let err =
            pin(vec![(JAR_FILE, FAKE.to_vec()), ("fake-connector-1.0-2.2.jar.sha512", published_file(&wrong))], 2);
        assert!(err.contains(&format!("sha512 {}", pinned())) && err.contains(&format!("publishes {wrong}")), "{err}");
        let err = pin(vec![(JAR_FILE, FAKE.to_vec()), ("fake-connector-1.0-2.2.jar.sha512", b"<html>".to_vec())], 1);
        assert!(err.contains("is not a sha512 checksum"), "{err}");
        assert!(!source_has_jar(cache.path()), "nothing refused is cached");
    }

    fn source_has_jar(cache: &Path) -> bool {
        Source { repository: String::new(), cache: cache.to_owned() }.cached(&fake(None)).exists()
    }

    #[test]
    fn a_lock_that_disagrees_with_a_builtin_pin_is_refused() {
        let other = Locked {
            coordinates: fake(None).coordinates(),
            url: String::new(),
            sha512: "0".repeat(128),
            verified_with: "sha512".into(),
        };
        let lock = Lock::new(vec![other]);
        let source = Source { repository: "http://127.0.0.1:9/unused".into(), cache: std::env::temp_dir() };
        let err = with_jars(&app(), &[fake(Some(pinned()))], &pins(Some(&lock)), &source).unwrap_err().to_string();
        assert!(err.contains("specs/pipec.lock") && err.contains(&"0".repeat(128)) && err.contains(pinned()), "{err}");
    }
}
