//! The HTTP server's limits against slow and greedy clients, through the real binary with
//! short limits (`--http-header-timeout 1s --http-body-timeout 1s --http-idle-timeout 2s
//! --http-max-connections 8`): a client that never finishes its headers or its body, or
//! keeps a connection open doing nothing, is cut off; a connection over the bound gets `503`
//! at once, never a hang; `/healthz` answers throughout. Every wait here is bounded.

mod common;
#[path = "support/server.rs"]
mod server;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::temp_dir;
use server::{Run, SPEC, get};

const FLAGS: &[&str] = &[
    "--http-header-timeout",
    "1s",
    "--http-body-timeout",
    "1s",
    "--http-idle-timeout",
    "2s",
    "--http-max-connections",
    "8",
];

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until the server closes the connection (or 10 s pass): what it sent, and how long
/// that took.
fn read_until_closed(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server did not close the connection within 10 s ({e})"),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

#[test]
fn slow_and_idle_clients_are_cut_off_and_extra_connections_get_503() {
    let scratch = temp_dir("http-limits");
    let dir = scratch.path();
    let run = Run::start_with(Path::new(SPEC), &dir.join("data"), FLAGS);
    let addr = run.addr.clone();

    // Headers never finished: closed after the header timeout, nothing answered.
    let mut s = connect(&addr);
    s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n").as_bytes()).unwrap();
    let (answer, took) = read_until_closed(&mut s);
    assert!(!answer.contains("200"), "{answer}");
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(5), "closed after {took:?}");

    // A body that stops half-way: 408 after the body timeout.
    let mut s = connect(&addr);
    let head = format!("POST /records HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{\"id\":");
    s.write_all(head.as_bytes()).unwrap();
    let (answer, took) = read_until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took < Duration::from_secs(5), "answered after {took:?}");

    // A kept-alive connection that goes quiet after one request: closed after the idle timeout.
    let mut s = connect(&addr);
    s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).unwrap();
    let (answer, took) = read_until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(6), "closed after {took:?}");

    // 8 connections that send nothing fill the bound: the 9th gets 503 at once, not a hang.
    let quiet: Vec<TcpStream> = (0..8).map(|_| connect(&addr)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = connect(&addr);
    let (answer, took) = read_until_closed(&mut extra);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"), "{answer}");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    // The held connections are cut off by the idle timeout (they never sent a byte); then the
    // server answers again.
    let start = Instant::now();
    server::eventually(8, "the held connections are closed and /healthz answers", || {
        get(&addr, "/healthz").status == 200
    });
    assert!(start.elapsed() >= Duration::from_secs(1), "the bound held while the connections were open");
    drop(quiet);

    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
}
