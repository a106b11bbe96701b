//! What the integration tests share: one seeded random generator ([`Rng`]), scratch folders
//! ([`temp_dir`], the `tempfile` crate: removed when dropped), [`base64`] (the crate), the
//! variable table the fixtures are written against ([`vars`]), the specs of a few folders
//! ([`specs_in`]) and their lowered pipelines ([`pipeline`]), and one builder for runs of the
//! real binary (after just's `tests/test.rs`:
//! `Test::new().args(..).stdin(..).env(..).status(1).stderr_has(..).run()`). Each test file
//! includes it with `mod common;` and uses what it needs; what only some files need lives in
//! `tests/support/` (a server, the pinned tools, mailboxes, the archive, snapshot names).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `SplitMix64`: small, seeded, good enough to drive mutations and random inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A fresh scratch folder `pipec-<name>-…` under the temporary directory (`TMPDIR`; in CI
/// `target/test-tmp`), removed with everything in it when the returned value is dropped.
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("pipec-{name}-")).tempdir().expect("create a scratch folder")
}

/// `bytes` in standard base64 with padding (the `base64` crate), as Kinesis carries a record.
pub fn base64(bytes: &[u8]) -> String {
    use ::base64::Engine as _;
    ::base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The environment the fixtures are written against: only `PRESENT=value` is set.
pub fn vars(name: &str) -> Option<String> {
    (name == "PRESENT").then(|| "value".to_string())
}

/// The `.yaml` specs in these folders of the repository, sorted by path (so `examples/` comes
/// before `tests/fixtures/`).
pub fn specs_in(dirs: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in dirs {
        let before = all.len();
        all.extend(
            std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml")),
        );
        assert!(all.len() > before, "no specs in {dir}");
    }
    all.sort();
    all
}

/// The spec at `path` read, checked (it must be clean, with [`vars`]) and lowered.
pub fn pipeline(path: &Path) -> pipec::ir::Pipeline {
    let text = std::fs::read_to_string(path).unwrap();
    let checked =
        pipec::frontend::check_source(pipec::source::Source::new(path.display().to_string(), text), None, &vars);
    assert!(!checked.has_errors(), "{} must check clean: {:?}", path.display(), checked.diagnostics);
    pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap()
}

/// What one run of the binary produced.
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The first 2,000 characters of a text, for assertion messages.
pub fn head(text: &str) -> &str {
    let end = text.char_indices().nth(2000).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// One run of `pipec`: arguments, stdin, environment, and what to expect. The run happens in
/// the crate's root with `COLUMNS` and `NO_COLOR` cleared; it is killed (and the test fails)
/// after `timeout`.
#[must_use]
pub struct Test {
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    env: Vec<(String, String)>,
    timeout: Duration,
    status: Option<i32>,
    stdout: Option<String>,
    stderr_has: Vec<String>,
    stdout_has: Vec<String>,
}

impl Test {
    pub fn new() -> Self {
        Self {
            args: Vec::new(),
            stdin: None,
            env: Vec::new(),
            timeout: Duration::from_secs(20),
            status: None,
            stdout: None,
            stderr_has: Vec::new(),
            stdout_has: Vec::new(),
        }
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    pub fn arg_path(mut self, path: &Path) -> Self {
        self.args.push(path.to_str().expect("test paths are UTF-8").to_string());
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The expected exit status.
    pub fn status(mut self, status: i32) -> Self {
        self.status = Some(status);
        self
    }

    /// The expected stdout, exactly.
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = Some(text.to_string());
        self
    }

    /// A text stdout must contain.
    pub fn stdout_has(mut self, text: &str) -> Self {
        self.stdout_has.push(text.to_string());
        self
    }

    /// A text stderr must contain.
    pub fn stderr_has(mut self, text: &str) -> Self {
        self.stderr_has.push(text.to_string());
        self
    }

    /// Expects exit 1 with the diagnostic `code` on stderr and no panic.
    pub fn refused(self, code: &str) -> Self {
        self.status(1).stderr_has(code)
    }

    /// Runs the binary, checks every expectation, and returns what it produced.
    pub fn run(self) -> Output {
        let output = self.launch();
        let context = || format!("pipec {:?}\nstderr: {}", self.args, head(&output.stderr));
        assert!(!output.stderr.contains("panicked"), "panic: {}", context());
        if let Some(status) = self.status {
            assert_eq!(output.status, status, "exit status of {}", context());
        }
        if let Some(stdout) = &self.stdout {
            assert_eq!(&output.stdout, stdout, "stdout of {}", context());
        }
        for text in &self.stdout_has {
            assert!(output.stdout.contains(text.as_str()), "stdout lacks {text:?}: {}", head(&output.stdout));
        }
        for text in &self.stderr_has {
            assert!(output.stderr.contains(text.as_str()), "stderr lacks {text:?}: {}", context());
        }
        output
    }

    fn launch(&self) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pipec"));
        command
            .args(&self.args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("NO_COLOR")
            .env_remove("COLUMNS")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn pipec");
        // pipec may stop reading early (size limit): a broken pipe here is expected, not a failure.
        let writer = self.stdin.clone().map(|bytes| {
            let mut pipe = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            })
        });
        let reader = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                String::from_utf8_lossy(&buf).into_owned()
            })
        };
        let stdout = reader(Box::new(child.stdout.take().unwrap()));
        let stderr = reader(Box::new(child.stderr.take().unwrap()));
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for pipec") {
                break status;
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                panic!("pipec {:?} still running after {:?}; killed", self.args, self.timeout);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(writer) = writer {
            writer.join().unwrap();
        }
        Output {
            status: status.code().expect("pipec killed by a signal"),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
    }
}

/// Whether the spec at `path` runs on `hot.engine: flink`: its hot path is a Flink application
/// (and the alerts function, tested in `tests/flink_aws.rs`), not the hot and window handlers.
pub fn is_flink(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    let checked =
        pipec::frontend::check_source(pipec::source::Source::new(path.display().to_string(), text), None, &vars);
    let Some(spec) = checked.spec.as_ref().filter(|_| !checked.has_errors()) else { return false };
    matches!(pipec::ir::lower(spec).unwrap().engine, pipec::ir::Engine::Flink(_))
}

/// Two JSON values equal with numbers compared as doubles (DynamoDB gives a float field's
/// `100.0` back as `100`), everything else exactly.
pub fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}
