//! A fake Maven repository on 127.0.0.1, for the tests of `pipec lock` and `pipec deploy`'s
//! jar packaging (`tests/deploy.rs` and the unit tests of `src/deploy/maven.rs` include this
//! one file).
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;

/// Serves `requests` requests, then stops: a path ending with `/NAME` of one of `files` gets
/// its bytes, any other a 404. Returns the repository's base URL and the serving thread, whose
/// result is the paths asked for, in order.
pub fn serve<N: AsRef<str> + Send + 'static>(
    files: Vec<(N, Vec<u8>)>,
    requests: usize,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}/maven2", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut paths = Vec::new();
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() <= 2 {
                    break;
                }
            }
            let (status, body) = match files.iter().find(|(name, _)| path.ends_with(&format!("/{}", name.as_ref()))) {
                Some((_, body)) => ("200 OK", body.clone()),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
            paths.push(path);
        }
        paths
    });
    (url, handle)
}
