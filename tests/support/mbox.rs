//! Reads the local runtime's e-mail outbox (`outbox/<topic>.mbox`, mboxrd) in tests: the
//! messages' subjects and JSON bodies, in the order they were appended.
//!
//! ```ignore
//! #[path = "support/mbox.rs"]
//! mod mbox;
//! ```
#![allow(dead_code)]

use std::path::Path;

/// One message of a mailbox: its `Subject:` header and its body (one JSON document).
pub struct Mail {
    pub subject: String,
    pub body: serde_json::Value,
}

/// The messages of `outbox/<topic>.mbox` under the data dir `data` (none when it does not exist).
pub fn read(data: &Path, topic: &str) -> Vec<Mail> {
    let Ok(text) = std::fs::read_to_string(data.join("outbox").join(format!("{topic}.mbox"))) else {
        return Vec::new();
    };
    assert!(text.is_empty() || text.starts_with("From "), "an mbox starts with a From line");
    text.split("\n\nFrom ")
        .filter(|m| !m.trim().is_empty())
        .map(|message| {
            let (head, body) = message.split_once("\n\n").expect("headers end with an empty line");
            let subject = head.lines().find_map(|l| l.strip_prefix("Subject: ")).expect("a Subject header");
            Mail { subject: subject.to_string(), body: serde_json::from_str(body.trim_end()).expect("a JSON body") }
        })
        .collect()
}
