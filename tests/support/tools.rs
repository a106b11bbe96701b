//! Helpers for integration tests that validate pipec's generated output with the pinned
//! external validators installed by `scripts/tools.sh` into `.tools/` (see the README, "Set-up
//! on a fresh machine").
//!
//! Include from an integration test with:
//! ```ignore
//! #[path = "support/tools.rs"]
//! mod tools;
//! ```
//! A missing tool is a test failure with a message saying how to install it, never a skip.
//! Uses only std + serde_json.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const HOW_TO_INSTALL: &str = "run `scripts/tools.sh` (the test command does it for you)";

/// The Terraform CLI is on no package registry this project uses, so `scripts/tools.sh` cannot
/// install it.
pub const HOW_TO_INSTALL_TERRAFORM: &str = "install the Terraform 1.11 CLI on PATH \
     (https://developer.hashicorp.com/terraform/install; scripts/tools.sh cannot, it is on no package registry)";

/// Repository root (the crate's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `.tools/` at the repo root, or `$PIPEC_TOOLS_DIR` (same override as `scripts/tools.sh`).
pub fn tools_dir() -> PathBuf {
    match std::env::var_os("PIPEC_TOOLS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo_root().join(".tools"),
    }
}

fn require(venv: &str, bin: &str) -> PathBuf {
    let dir = tools_dir().join(venv);
    let path = dir.join("bin").join(bin);
    assert!(
        !(!path.is_file() || !dir.join(".pipec-stamp").is_file()),
        "{} not found (or its venv {} was never finished): {HOW_TO_INSTALL}",
        path.display(),
        dir.display()
    );
    path
}

/// Python of the `.tools/py` venv (cfn-lint, moto[server], python-hcl2, boto3).
pub fn python() -> PathBuf {
    require("py", "python")
}

/// `.tools/py/bin/cfn-lint`.
pub fn cfn_lint_bin() -> PathBuf {
    require("py", "cfn-lint")
}

/// `.tools/checkov/bin/checkov` (separate venv: checkov pins boto3 and ships its own `hcl2`).
pub fn checkov_bin() -> PathBuf {
    require("checkov", "checkov")
}

fn run(cmd: &mut Command, what: &str) -> Output {
    cmd.stdin(Stdio::null());
    match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!("could not run {what}: {e}: {HOW_TO_INSTALL}"),
    }
}

/// Human-readable dump of a finished command, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ------------------------------------------------------------------------------ cfn-lint

/// `cfn-lint --include-checks I -- PATHS...`. Exit code is bit flags: 2 error, 4 warning,
/// 8 info (1 = cfn-lint itself failed); anything but 0 is a finding.
pub fn cfn_lint<P: AsRef<OsStr>>(paths: &[P]) -> Output {
    let mut cmd = Command::new(cfn_lint_bin());
    cmd.args(["--include-checks", "I", "--"]);
    cmd.args(paths);
    run(&mut cmd, "cfn-lint")
}

/// Names the bits set in a cfn-lint exit code ("error", "warning", "info").
pub fn cfn_lint_flags(code: i32) -> Vec<&'static str> {
    let mut v = Vec::new();
    if code & 1 != 0 {
        v.push("cfn-lint failure");
    }
    if code & 2 != 0 {
        v.push("error");
    }
    if code & 4 != 0 {
        v.push("warning");
    }
    if code & 8 != 0 {
        v.push("info");
    }
    v
}

/// Panics with every finding unless cfn-lint (informational rules included) is clean.
pub fn assert_cfn_lint_clean<P: AsRef<OsStr>>(paths: &[P]) {
    let out = cfn_lint(paths);
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0, "cfn-lint found problems ({:?}):\n{}", cfn_lint_flags(code), describe(&out));
}

// ------------------------------------------------------------------------------ checkov

fn checkov_cmd() -> Command {
    let mut cmd = Command::new(checkov_bin());
    // Offline: no Bridgecrew mapping download, no PyPI version check.
    cmd.env("BC_SKIP_MAPPING", "TRUE").env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true").env("LOG_LEVEL", "ERROR").args([
        "--skip-download",
        "--quiet",
        "--compact",
    ]);
    cmd
}

/// `checkov --framework cloudformation -f PATHS...` (CLI output; exit 1 on failed checks).
/// Skips belong in the template (`Metadata.checkov.skip`), never here.
pub fn checkov_cfn<P: AsRef<OsStr>>(paths: &[P]) -> Output {
    assert!(!paths.is_empty(), "checkov_cfn: no templates given");
    let mut cmd = checkov_cmd();
    cmd.args(["--framework", "cloudformation", "-f"]).args(paths);
    run(&mut cmd, "checkov")
}

/// `checkov --framework terraform -d DIR` (CLI output; exit 1 on failed checks).
/// Skips belong in the HCL (`#checkov:skip=ID:reason`), never here.
pub fn checkov_tf(dir: impl AsRef<Path>) -> Output {
    let mut cmd = checkov_cmd();
    cmd.args(["--framework", "terraform", "-d"]).arg(dir.as_ref());
    run(&mut cmd, "checkov")
}

/// The same scans with `-o json`, parsed. checkov prints one object for one framework (a
/// list for several); this always returns the list. Each element has `check_type`,
/// `results.failed_checks[]` (`check_id`, `resource`, `file_path`, ...) and `summary`
/// (`passed`, `failed`, `skipped`, `parsing_errors`, `resource_count`).
pub fn checkov_cfn_json<P: AsRef<OsStr>>(paths: &[P]) -> Vec<serde_json::Value> {
    let mut cmd = checkov_cmd();
    cmd.args(["--framework", "cloudformation", "-o", "json", "-f"]).args(paths);
    checkov_reports(&run(&mut cmd, "checkov"))
}

pub fn checkov_tf_json(dir: impl AsRef<Path>) -> Vec<serde_json::Value> {
    let mut cmd = checkov_cmd();
    cmd.args(["--framework", "terraform", "-o", "json", "-d"]).arg(dir.as_ref());
    checkov_reports(&run(&mut cmd, "checkov"))
}

fn checkov_reports(out: &Output) -> Vec<serde_json::Value> {
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("checkov did not print JSON ({e}):\n{}", describe(out)));
    match v {
        serde_json::Value::Array(a) => a,
        // With nothing to scan checkov prints an empty summary object without "results".
        other => vec![other],
    }
}

/// IDs of failed checks, as `"CKV_AWS_27 AWS::SQS::Queue.Q"`, sorted.
pub fn checkov_failures(reports: &[serde_json::Value]) -> Vec<String> {
    let mut v: Vec<String> = reports
        .iter()
        .flat_map(|r| r["results"]["failed_checks"].as_array().cloned().unwrap_or_default())
        .map(|c| format!("{} {}", c["check_id"].as_str().unwrap_or("?"), c["resource"].as_str().unwrap_or("?")))
        .collect();
    v.sort();
    v
}

fn assert_reports_clean(reports: &[serde_json::Value], what: &str) {
    let scanned: u64 = reports.iter().map(|r| r["summary"]["resource_count"].as_u64().unwrap_or(0)).sum();
    let parse_errors: u64 = reports.iter().map(|r| r["summary"]["parsing_errors"].as_u64().unwrap_or(0)).sum();
    let failed = checkov_failures(reports);
    assert!(
        !(parse_errors > 0 || scanned == 0 || !failed.is_empty()),
        "checkov {what}: {} failed check(s), {parse_errors} parsing error(s), {scanned} resource(s) scanned\n{}\n\nfull report:\n{}",
        failed.len(),
        failed.join("\n"),
        serde_json::to_string_pretty(reports).unwrap_or_default()
    );
}

/// Panics unless checkov parsed the templates, scanned at least one resource, and every
/// check passed or was skipped in the template.
pub fn assert_checkov_cfn_clean<P: AsRef<OsStr>>(paths: &[P]) {
    assert_reports_clean(&checkov_cfn_json(paths), "cloudformation");
}

pub fn assert_checkov_tf_clean(dir: impl AsRef<Path>) {
    assert_reports_clean(&checkov_tf_json(dir), "terraform");
}

// ------------------------------------------------------------------------------ python-hcl2

const HCL2_SCRIPT: &str = r"
import json, sys
import hcl2
with open(sys.argv[1]) as f:
    data = hcl2.load(f)
json.dump(data, sys.stdout, default=str)
";

/// Parses one `.tf` file with python-hcl2 8.1.4 (independent of Terraform's parser) and
/// returns its JSON form. Panics with the parser's message on a syntax error. Shape:
/// top-level keys `resource`, `data`, `variable`, `output`, `terraform`, `provider`, each a
/// list of one-key objects; blocks carry `"__is_block__": true`; string values keep their
/// HCL quotes (`"\"hashicorp/aws\""`), labels too (`provider[0]["\"aws\""]`), and `${...}`
/// references stay text (`"${var.region}"`).
pub fn hcl2_parse(file: impl AsRef<Path>) -> serde_json::Value {
    let file = file.as_ref();
    let out = run(Command::new(python()).arg("-c").arg(HCL2_SCRIPT).arg(file), "python-hcl2");
    assert!(out.status.success(), "python-hcl2 could not parse {}:\n{}", file.display(), describe(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("python-hcl2 printed bad JSON for {}: {e}", file.display()))
}

/// Parses every `*.tf` in `dir` (sorted by name); panics if there are none.
pub fn hcl2_parse_dir(dir: impl AsRef<Path>) -> Vec<(PathBuf, serde_json::Value)> {
    let dir = dir.as_ref();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .tf files in {}", dir.display());
    files
        .into_iter()
        .map(|f| {
            let v = hcl2_parse(&f);
            (f, v)
        })
        .collect()
}

// ------------------------------------------------------------------------------ terraform

/// `terraform fmt -check -diff -recursive DIR` (offline). The Terraform CLI is part of the
/// machine image, not installed by `scripts/tools.sh`; panics clearly when it is missing.
pub fn terraform_fmt_check(dir: impl AsRef<Path>) -> Output {
    let mut cmd = Command::new("terraform");
    cmd.args(["fmt", "-check", "-diff", "-recursive"]).arg(dir.as_ref()).stdin(Stdio::null());
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("could not run `terraform` ({e}): {HOW_TO_INSTALL_TERRAFORM}"),
    }
}

// ------------------------------------------------------------------------------ moto server

/// A `moto.server` child on 127.0.0.1 and a free port; killed on drop.
/// Point the AWS SDK at `endpoint()` with static credentials (`AWS_ACCESS_KEY_ID=testing`,
/// `AWS_SECRET_ACCESS_KEY=testing`, `AWS_REGION=us-east-1`).
pub struct MotoServer {
    child: Child,
    addr: SocketAddr,
}

impl MotoServer {
    pub fn start() -> MotoServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free local port for moto");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut child = Command::new(python())
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start moto server: {e}: {HOW_TO_INSTALL}"));
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            if let Some(status) = child.try_wait().expect("moto server wait") {
                let mut err = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut err);
                }
                panic!("moto server exited early ({status}):\n{err}");
            }
            if http_ok(addr) {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("moto server on {addr} not ready after 60 s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // Drain stderr in the background so the child never blocks on a full pipe.
        if let Some(mut s) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut sink = [0u8; 8192];
                while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
        MotoServer { child, addr }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Resets all moto state (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let mut s = TcpStream::connect(self.addr).expect("connect moto");
        s.write_all(
            b"POST /moto-api/reset HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .expect("reset moto");
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        assert!(buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200"), "moto reset failed: {buf}");
    }
}

fn http_ok(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[9..12] == b"200"
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `.tools/py/bin/ruff` (pinned in `scripts/tools.sh`): lints and format-checks generated Python.
pub fn ruff() -> PathBuf {
    require("py", "ruff")
}

/// `tests/browser/<script>`, after checking what it needs (`scripts/browser.sh --check`:
/// Debian's `/usr/bin/chromium`, node, playwright-core in `tests/browser/node_modules`).
pub fn browser_script(script: &str) -> PathBuf {
    let check = repo_root().join("scripts/browser.sh");
    match Command::new("bash").arg(check).arg("--check").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!("{}", String::from_utf8_lossy(&out.stderr).trim()),
        Err(e) => panic!("cannot run scripts/browser.sh --check ({e}): run make tools"),
    }
    repo_root().join("tests/browser").join(script)
}
