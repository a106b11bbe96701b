//! Seeded fuzzing of the front end: mutated example specs and valid fixtures, and random
//! YAML-ish documents. Whatever the input, `check_source` must not panic, and every label must
//! lie within the text, on character boundaries (renderers slice the text there), and both
//! renderers must cope with the result.
//!
//! Deterministic: a failure prints the seed and case number, and writes the input to
//! `target/tmp/fuzz-failure.yaml`. Locally, `PIPEC_FUZZ_CASES` runs more cases and
//! `PIPEC_FUZZ_SEED` another seed. The case count alone bounds the work, so every machine runs
//! the same inputs.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use pipec::diagnostic::Diagnostic;
use pipec::diagnostic::render::{self, Style};
use pipec::frontend;
use pipec::source::Source;

mod common;
use common::{Rng, vars};

const DEFAULT_SEED: u64 = 0x00C0_FFEE_D00D;
/// Cases per test unless `PIPEC_FUZZ_CASES` says otherwise.
const CASES: usize = 1_000;

fn seed() -> u64 {
    std::env::var("PIPEC_FUZZ_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_SEED)
}

fn cases() -> usize {
    std::env::var("PIPEC_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(CASES)
}

/// The example specs and valid fixtures: the corpus that mutations start from.
fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures/valid"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension() == Some("yaml".as_ref()) {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 3, "corpus too small: {files:?}");
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Checks one input (as bytes, through the same limits as the CLI) with and without `--env`.
fn check_one(bytes: &[u8], context: &str) {
    let outcome = catch_unwind(AssertUnwindSafe(|| match Source::from_bytes("fuzz.yaml".into(), bytes.to_vec()) {
        Ok(source) => {
            for env in [None, Some("prod")] {
                let checked = frontend::check_source(source.clone(), env, &vars);
                spans_within(source.text(), &checked.diagnostics)?;
                // The renderers slice the text at the spans: they must not panic either.
                let _ = render::human(&source, &checked.diagnostics, Style { color: false, width: 80 });
                let _ = render::json(&source, &checked.diagnostics);
            }
            Ok(())
        }
        Err((shown, diagnostic)) => {
            let text = shown.as_ref().map_or("", Source::text);
            spans_within(text, std::slice::from_ref(&diagnostic))
        }
    }));
    let problem = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(problem)) => problem,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(ToString::to_string))
                .unwrap_or_default();
            format!("panicked: {message}")
        }
    };
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failure.yaml");
    std::fs::write(&path, bytes).unwrap();
    panic!("{context}: {problem}\ninput written to {}", path.display());
}

fn spans_within(text: &str, diagnostics: &[Diagnostic]) -> Result<(), String> {
    for d in diagnostics {
        for label in &d.labels {
            let span = label.span;
            if span.start > span.end || span.end > text.len() {
                return Err(format!("{}: span {span:?} outside the text ({} bytes)", d.code.as_str(), text.len()));
            }
            if !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
                return Err(format!("{}: span {span:?} not on character boundaries", d.code.as_str()));
            }
        }
    }
    Ok(())
}

// --- mutations --------------------------------------------------------------------------------

const PUNCTUATION: &[&str] = &[
    ":",
    ": ",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "|",
    ">-",
    "'",
    "\"",
    "#",
    "\n---\n",
    "? ",
    "${",
    "${X",
    "$${",
    "}",
    "\t",
    "\\",
    "\u{e9}",
    "\u{1f9fe}",
    "\u{feff}",
    "\r\n",
    "%YAML 1.1\n",
    "<<: *a\n",
    "~",
    "null",
    "yes",
    "0x1F",
    "1e400",
    "-1",
    "9999999999999999999999",
    "''",
    "\"\\u00e9\"",
    "\u{0}",
];

const KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "retain_data",
    "stream",
    "shards",
    "on_demand",
    "retention",
    "encryption",
    "record",
    "hot",
    "engine",
    "rules",
    "when",
    "window",
    "tumbling",
    "group_by",
    "severity",
    "notify",
    "store",
    "table",
    "key",
    "partition",
    "sort",
    "enrich",
    "viewer",
    "title",
    "public",
    "cold",
    "prefix",
    "error_prefix",
    "compression",
    "buffer",
    "size",
    "interval",
    "layout",
    "notifications",
    "email",
    "webhook",
    "environments",
    "prod",
    "dev",
    "type",
    "max_length",
    "required",
];

fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut text = input.to_vec();
    for _ in 0..=rng.below(3) {
        text = mutate_once(rng, &text, corpus);
    }
    text
}

fn mutate_once(rng: &mut Rng, text: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut text = text.to_vec();
    if text.is_empty() {
        return rng.pick(corpus).clone();
    }
    let at = rng.below(text.len() + 1);
    match rng.below(10) {
        // Byte flip (may leave invalid UTF-8: that path is checked too).
        0 => {
            let i = at.min(text.len() - 1);
            text[i] ^= 1 << rng.below(8);
        }
        // Delete, duplicate or swap lines.
        1 | 2 => {
            let mut ls = lines(&text);
            let i = rng.below(ls.len());
            match rng.below(3) {
                0 => {
                    ls.remove(i);
                }
                1 => {
                    let line = ls[i].clone();
                    ls.insert(i, line);
                }
                _ => {
                    let j = rng.below(ls.len());
                    ls.swap(i, j);
                }
            }
            text = ls.concat();
        }
        // Shift a line's or a block's indentation.
        3 => {
            let mut ls = lines(&text);
            let from = rng.below(ls.len());
            let to = (from + 1 + rng.below(4)).min(ls.len());
            let deeper = rng.chance(50);
            for line in &mut ls[from..to] {
                if deeper {
                    line.splice(0..0, rng.pick(&[&b" "[..], b"  ", b"    ", b"\t"]).iter().copied());
                } else {
                    let n = line.iter().take_while(|&&b| b == b' ').count().min(1 + rng.below(4));
                    line.drain(..n);
                }
            }
            text = ls.concat();
        }
        // Replace a key with another known key (keys at the wrong level, duplicates).
        4 => {
            let mut ls = lines(&text);
            let i = rng.below(ls.len());
            if let Some(colon) = ls[i].iter().position(|&b| b == b':') {
                let indent = ls[i].iter().take_while(|&&b| b == b' ' || b == b'-').count().min(colon);
                ls[i].splice(indent..colon, rng.pick(KEYS).bytes());
            }
            text = ls.concat();
        }
        // Truncate.
        5 => text.truncate(at),
        // Splice in YAML punctuation.
        6 | 7 => {
            text.splice(at..at, rng.pick(PUNCTUATION).bytes());
        }
        // Splice a piece of another corpus file.
        8 => {
            let other = rng.pick(corpus);
            let from = rng.below(other.len());
            let to = (from + rng.below(200)).min(other.len());
            text.splice(at..at, other[from..to].iter().copied());
        }
        // Replace a value with a random scalar.
        _ => {
            let mut ls = lines(&text);
            let i = rng.below(ls.len());
            if let Some(colon) = ls[i].iter().position(|&b| b == b':') {
                let end = ls[i].len() - usize::from(ls[i].ends_with(b"\n"));
                let value = format!(" {}", scalar(rng));
                ls[i].splice(colon + 1..end, value.bytes());
            }
            text = ls.concat();
        }
    }
    text
}

// --- random documents -------------------------------------------------------------------------

fn scalar(rng: &mut Rng) -> String {
    let choices = [
        "1",
        "0",
        "-3",
        "500",
        "100000",
        "1.5",
        "true",
        "false",
        "yes",
        "on",
        "null",
        "~",
        "''",
        "string",
        "int?",
        "string(64)",
        "bool",
        "timestamp",
        "60s",
        "15m",
        "24h",
        "500ms",
        "64MiB",
        "0MiB",
        "1.5B",
        "raw/",
        "/x",
        "kinesis-analytics",
        "lambda",
        "flink",
        "ops@example.com",
        "not-an-email",
        "https://h.example/x",
        "http://localhost:9000/x",
        "${PRESENT}",
        "${MISSING}",
        "${1X}",
        "${OPEN",
        "a > 9000",
        "count(*) > 1",
        "'quoted é'",
        "\"dq \\t\"",
        "[a, b]",
        "{ a: 1 }",
        "[]",
        "{}",
        "日本語",
        "-createdAt",
        "a-b",
        "a_b",
    ];
    (*rng.pick(&choices)).to_string()
}

/// A random block-style document over the spec's vocabulary, `depth` levels at most.
fn document(rng: &mut Rng, depth: usize, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let entries = 1 + rng.below(5);
    let list = rng.chance(25);
    for _ in 0..entries {
        let lead = if list { "- " } else { "" };
        let key = rng.pick(KEYS);
        if depth > 0 && rng.chance(40) {
            let _ = writeln!(out, "{pad}{lead}{key}:");
            document(rng, depth - 1, indent + 2 + lead.len(), out);
        } else {
            let _ = writeln!(out, "{pad}{lead}{key}: {}", scalar(rng));
        }
    }
}

// --- the tests --------------------------------------------------------------------------------

#[test]
fn mutated_specs_never_panic_and_spans_stay_in_the_text() {
    let corpus = corpus();
    for input in &corpus {
        check_one(input, "corpus file");
    }
    let seed = seed();
    let mut rng = Rng(seed);
    for case in 0..cases() {
        let base = rng.pick(&corpus).clone();
        let input = mutate(&mut rng, &base, &corpus);
        check_one(&input, &format!("mutation case {case} (PIPEC_FUZZ_SEED={seed})"));
    }
}

#[test]
fn random_documents_never_panic_and_spans_stay_in_the_text() {
    let seed = seed();
    let mut rng = Rng(seed ^ 0xD0C);
    for case in 0..cases() {
        let mut text = String::new();
        if rng.chance(70) {
            text.push_str("version: 1\nname: fuzz\n");
        }
        document(&mut rng, 4, 0, &mut text);
        let corpus = [text.clone().into_bytes()];
        let input = if rng.chance(30) { mutate(&mut rng, text.as_bytes(), &corpus) } else { text.into_bytes() };
        check_one(&input, &format!("document case {case} (PIPEC_FUZZ_SEED={seed})"));
    }
}
