//! `POST /records`: an NDJSON body, one JSON object per non-blank line (at most 1 MiB each).
//!
//! All or nothing: when every line is a JSON object within the limit, the lines are appended
//! to the log as one batch and the answer is `200 {"accepted": n}` (sent after the append, so
//! the records survive a crash). Otherwise nothing of the body is stored and the answer is
//! `400 {"error": ..., "accepted": 0, "invalid": [{"line": 3, "reason": ...}, ...]}`, lines
//! numbered from 1 as an editor shows them (blank lines count), so the client can fix and
//! resend the body. Records that are JSON but do not fit the spec's record schema are taken:
//! the pipeline dead-letters them with the reason, and the archive keeps them.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::App;

/// At most this many bad lines are listed in an answer.
const LISTED: usize = 100;

/// Why `line` cannot be taken, if it cannot.
fn problem(line: &[u8], max: usize) -> Option<String> {
    if line.len() > max {
        return Some(format!("the record is {} bytes, over the limit of {max} bytes", line.len()));
    }
    if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Some("not a JSON object (each line must be one object, such as {\"id\": 1})".to_owned());
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(line).err().map(|e| format!("not valid JSON: {e}"))
}

/// Bad lines: how many, and the first [`LISTED`] as `(line number from 1, reason)`.
type BadLines = (usize, Vec<(usize, String)>);

/// The body's records, or its bad lines.
fn split(body: &[u8], max: usize) -> Result<Vec<&[u8]>, BadLines> {
    let mut records = Vec::new();
    let mut bad = Vec::new();
    let mut count = 0;
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match problem(line, max) {
            Some(reason) => {
                count += 1;
                if bad.len() < LISTED {
                    bad.push((i + 1, reason));
                }
            }
            None => records.push(line),
        }
    }
    if bad.is_empty() { Ok(records) } else { Err((count, bad)) }
}

pub(super) async fn post(State(app): State<App>, body: Bytes) -> Response {
    let handle = app.handle.clone();
    // Parsing a large body and appending it both block: off the server's threads.
    let outcome = tokio::task::spawn_blocking(move || {
        let max = handle.config().max_record_bytes;
        split(&body, max).map(|records| handle.ingest(&records))
    })
    .await;
    match outcome {
        Ok(Ok(Ok(report))) => axum::Json(json!({ "accepted": report.seqs.end - report.seqs.start })).into_response(),
        Ok(Err((count, bad))) => refused(count, &bad),
        Ok(Ok(Err(e))) => unavailable(&e.to_string()),
        Err(e) => unavailable(&e.to_string()),
    }
}

/// `400`, naming the bad lines.
fn refused(count: usize, bad: &[(usize, String)]) -> Response {
    let invalid: Vec<_> = bad.iter().map(|(line, reason)| json!({ "line": line, "reason": reason })).collect();
    let lines: Vec<String> = bad.iter().map(|(line, _)| line.to_string()).collect();
    let more = if count > bad.len() { format!(" (the first {} listed)", bad.len()) } else { String::new() };
    let body = json!({
        "error": format!(
            "{count} invalid line(s){more}: {}; nothing of this body was stored, fix them and send it again",
            lines.join(", ")
        ),
        "accepted": 0,
        "invalid": invalid,
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn unavailable(message: &str) -> Response {
    let body = json!({ "error": format!("could not append to the log: {message}; nothing of this body was stored") });
    (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "1")], axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_or_nothing_with_line_numbers() {
        let good = b"{\"a\":1}\n\n  {\"b\":2}\r\n";
        assert_eq!(split(good, 100).unwrap(), [&b"{\"a\":1}"[..], b"  {\"b\":2}"]);
        let bad = b"{\"a\":1}\nnot json\n\n[1]\n{\"a\":\n{\"long\":\"xxxxxxxxxxxxxxxxxxxx\"}\n";
        let (count, lines) = split(bad, 20).unwrap_err();
        assert_eq!(count, 4);
        let numbers: Vec<usize> = lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [2, 4, 5, 6]);
        assert!(lines[3].1.contains("over the limit"), "{}", lines[3].1);
    }
}
