//! The Flink application's connector jars, fetched when `pipec deploy` packages the application:
//! each jar of [`crate::target::flink::jars::JARS`] is read from the cache, or downloaded from
//! the Maven repository (Maven Central unless `PIPEC_MAVEN_REPOSITORY` names another, such as
//! a mirror), checked against its pinned SHA-512, kept in the cache and packed under `lib/` of
//! the application's zip. A jar without a pin, or whose bytes do not match it, is refused:
//! nothing unchecked is uploaded. `pipec build` never comes here.

use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha512};

use super::error::Error;
use crate::target::flink::jars::{Jar, MAVEN_CENTRAL};

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

fn sha512_hex(bytes: &[u8]) -> String {
    Sha512::digest(bytes).iter().fold(String::with_capacity(128), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// The jar's bytes, checked against its pin: from the cache when they match, else downloaded
/// (and cached).
pub(crate) fn fetch(jar: &Jar, source: &Source) -> Result<Vec<u8>, Error> {
    let Some(pin) = jar.sha512 else {
        return Err(Error::config(format!(
            "the connector jar {} has no SHA-512 pinned in this pipec (src/target/flink/jars.rs), so `pipec deploy` will not \
             package the Flink application with unchecked bytes\nhelp: pin it from {}.sha512 (after checking the Apache \
             release's signature) and rebuild pipec",
            jar.coordinates(),
            jar.url(MAVEN_CENTRAL)
        )));
    };
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
    store(&path, &bytes).map_err(|e| Error::failed(format!("could not cache {}: {e}", path.display())))?;
    Ok(bytes)
}

fn download(url: &str) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_global(Some(Duration::from_mins(10)))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    response.body_mut().with_config().limit(MAX_JAR_BYTES).read_to_vec().map_err(|e| e.to_string())
}

/// Writes the file atomically (a temp file renamed), creating its folders.
fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("jar.pipec-tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// The application's zip with each jar added under `lib/` (fixed timestamps, stored as they
/// are: jars are compressed already).
pub(crate) fn with_jars(zip: &[u8], jars: &[Jar], source: &Source) -> Result<Vec<u8>, Error> {
    let internal = |e: zip::result::ZipError| Error::failed(format!("internal error adding the connector jars: {e}"));
    let mut writer = zip::ZipWriter::new_append(Cursor::new(zip.to_vec())).map_err(internal)?;
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644)
        .large_file(true);
    for jar in jars {
        let bytes = fetch(jar, source)?;
        writer.start_file(jar.zip_path(), options).map_err(internal)?;
        writer.write_all(&bytes).map_err(|e| internal(e.into()))?;
    }
    Ok(writer.finish().map_err(internal)?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader, Read as _};
    use std::net::TcpListener;

    use super::*;

    /// Serves `body` at every path, to `requests` requests, on 127.0.0.1; returns the base URL.
    fn serve(body: Vec<u8>, requests: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/maven2", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut paths = Vec::new();
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                paths.push(line.split_whitespace().nth(1).unwrap_or_default().to_owned());
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap() <= 2 {
                        break;
                    }
                }
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&body).unwrap();
            }
            paths
        });
        (url, handle)
    }

    const FAKE: &[u8] = b"PK fake connector jar for the packaging test";

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

    #[test]
    fn downloads_checks_caches_and_packs_a_pinned_jar() {
        let cache = tempfile::tempdir().unwrap();
        let (repository, server) = serve(FAKE.to_vec(), 1);
        let source = Source { repository, cache: cache.path().to_owned() };
        let jar = fake(Some(pinned()));
        let app = crate::target::aws::lambda::zip_files(&[("main.py", "print()\n".to_owned())]).unwrap();
        let zip = with_jars(&app, &[jar], &source).unwrap();
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
        assert_eq!(with_jars(&app, &[jar], &source).unwrap(), zip);
    }

    #[test]
    fn a_checksum_mismatch_is_refused_and_not_cached() {
        let cache = tempfile::tempdir().unwrap();
        let (repository, server) = serve(b"other bytes".to_vec(), 1);
        let source = Source { repository, cache: cache.path().to_owned() };
        let err = fetch(&fake(Some(pinned())), &source).unwrap_err().to_string();
        server.join().unwrap();
        assert!(err.contains("org.example.flink:fake-connector:1.0-2.2"), "{err}");
        assert!(err.contains(&format!("not the pinned {}", pinned())), "{err}");
        assert!(err.contains(&sha512_hex(b"other bytes")), "{err}");
        assert!(!source.cached(&fake(None)).exists(), "a refused jar is not cached");
    }

    #[test]
    fn an_unpinned_jar_is_refused_before_any_download() {
        let source = Source { repository: "http://127.0.0.1:9/unused".into(), cache: std::env::temp_dir() };
        let err = fetch(&fake(None), &source).unwrap_err().to_string();
        assert!(err.contains("has no SHA-512 pinned"), "{err}");
    }

    #[test]
    fn an_unreachable_repository_says_how_to_fix_it() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let cache = tempfile::tempdir().unwrap();
        let source = Source { repository: url, cache: cache.path().to_owned() };
        let err = fetch(&fake(Some(pinned())), &source).unwrap_err().to_string();
        assert!(err.contains("could not download") && err.contains("PIPEC_MAVEN_REPOSITORY"), "{err}");
    }
}
