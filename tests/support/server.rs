//! A `pipec run --local` process for tests (on a free port, fed only over HTTP, stopped by
//! its PID) and a minimal HTTP/1.1 client, shared by the HTTP and Kinesis test files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_pipec");
pub const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/transactions.yaml");

/// `pipec run --local` reading a stdin that stays open (so only HTTP feeds it), on a free port.
pub struct Run {
    pub child: Child,
    _stdin: ChildStdin,
    stderr: mpsc::Receiver<String>,
    pub log: Vec<String>,
    pub addr: String,
}

impl Run {
    pub fn start(spec: &Path, data: &Path) -> Run {
        Self::start_with(spec, data, &[])
    }

    /// With more `pipec run` flags.
    pub fn start_with(spec: &Path, data: &Path, flags: &[&str]) -> Run {
        let mut child = Command::new(BIN)
            .args(["run", "--local"])
            .arg(spec)
            .arg("--data-dir")
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--input", "-", "--quiet"])
            .args(flags)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut run = Run { child, _stdin: stdin, stderr, log: Vec::new(), addr: String::new() };
        let deadline = Instant::now() + Duration::from_secs(30);
        while run.addr.is_empty() {
            let line =
                run.stderr.recv_timeout(deadline.saturating_duration_since(Instant::now())).unwrap_or_else(|_| {
                    panic!("no viewer URL on stderr within 30 s:\n{}", run.log.join("\n"));
                });
            if let Some(url) = line.trim().strip_prefix("viewer").map(str::trim) {
                let url = url.split_whitespace().next().unwrap();
                url.trim_start_matches("http://").trim_end_matches('/').clone_into(&mut run.addr);
            }
            run.log.push(line);
        }
        run
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `kill -TERM <pid>`, then waits (bounded) for the exit; returns the status and stderr.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_mins(1);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "pipec (pid {pid}) did not stop within 60 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        self.log.extend(self.stderr.try_iter());
        (status, self.log.join("\n"))
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A response: status, lower-cased headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One HTTP/1.1 request (`Connection: close`).
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").is_some_and(|t| t == "chunked") {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 4 + size..];
    }
}

pub fn get(addr: &str, path: &str) -> Reply {
    http(addr, "GET", path, &[], b"")
}

/// Polls `check` every 100 ms until it holds (at most `secs`).
pub fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "not within {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A SigV4 `Authorization` header (and its date) as the SDKs send it: Kinesis and kinesalite
/// need one present; nobody here checks the signature.
pub const SIGNED: [(&str, &str); 2] = [
    (
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/kinesis/aws4_request, \
         SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123456789abcdef",
    ),
    ("X-Amz-Date", "20261126T120000Z"),
];

/// `tests/kinesis/` (kinesalite, the Node AWS SDK, the client scripts).
pub fn kinesis_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kinesis")
}

/// Fails (one line saying how to install them) unless node and `tests/kinesis/node_modules`
/// are installed.
pub fn require_node_tools() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/node-tools.sh");
    match Command::new("bash").arg(script).arg("--check").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!("{}", String::from_utf8_lossy(&out.stderr).trim()),
        Err(e) => panic!("cannot run scripts/node-tools.sh --check ({e}): run make tools"),
    }
}
