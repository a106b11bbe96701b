//! `pipec replay`: the options, the S3 connection (feature `aws`), a progress line on stderr
//! while it is a terminal, and the rendering of [`crate::replay::Report`] (human or JSON).
//! Exit 0 replayed, 1 a spec has errors, 2 usage, I/O, AWS, or an object that could not be
//! read to the end (the report is printed first).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::load::lowered;
use super::{Format, out};
use crate::diagnostic::render::{bytes, thousands};
use crate::replay::{self, Archive, LocalArchive, Options, Output, Progress, Report};

/// Options of `pipec replay`.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The spec whose rules to replay.
    pub spec: PathBuf,
    /// The archive: a folder (the `archive/` of a `run --local` data directory, or that data
    /// directory) or `s3://bucket/prefix` (feature `aws`).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub archive: String,
    /// Only objects whose time (in their name) is at or after this, e.g. `2026-12-01` or
    /// `2026-12-01T10:00:00Z` (no zone: UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<i64>,
    /// Only objects whose time is before this.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<i64>,
    /// An older version of the spec: report per rule what the new one flags differently.
    #[arg(long, value_name = "OLD_SPEC")]
    pub against: Option<PathBuf>,
    /// Write DIR/flagged.ndjson and DIR/dead-letter.ndjson.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Apply the overrides of this environment (to both specs).
    #[arg(long)]
    pub env: Option<String>,
    /// Examples per rule, per difference and of dead letters.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub examples: usize,
    #[command(flatten)]
    pub aws: super::AwsArgs,
}

fn parse_time(text: &str) -> Result<i64, String> {
    let full = if text.len() == 10 { format!("{text}T00:00:00Z") } else { text.to_owned() };
    crate::expr::timestamp::parse(&full)
        .map(|t| t.unix_seconds(0) * 1000 + i64::from(t.nanos / 1_000_000))
        .ok_or_else(|| format!("`{text}` is not a time such as 2026-12-01 or 2026-12-01T10:00:00Z"))
}

/// replay: see the module docs for the exit codes.
pub(super) fn replay(a: &ReplayArgs) -> ExitCode {
    let Ok(pipeline) = lowered(&a.spec, a.env.as_deref(), "not replaying") else { return ExitCode::from(1) };
    let against = match &a.against {
        Some(old) => match lowered(old, a.env.as_deref(), "not replaying") {
            Ok(p) => Some(p),
            Err(code) => return code,
        },
        None => None,
    };
    let mut archive = match open(a) {
        Ok(archive) => archive,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut output = match a.output.as_deref().map(Output::create).transpose() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: cannot create the output files: {e}");
            return ExitCode::from(2);
        }
    };
    let options = Options { from: a.from, to: a.to, examples: a.examples, now: crate::runtime::clock::now_ms() };
    let started = Instant::now();
    let mut line = ProgressLine { on: std::io::stderr().is_terminal(), last: None };
    let result =
        replay::replay(pipeline, against, archive.as_mut(), options, output.as_mut(), &mut |p| line.show(p, started));
    line.clear();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    match a.format {
        Format::Human => out(&human(&report, &a.spec, a.against.as_deref(), a.output.as_deref(), seconds)),
        Format::Json => {
            let mut json = serde_json::to_value(&report).expect("plain data serializes");
            json["seconds"] = serde_json::json!(seconds);
            out(&format!("{json}\n"));
        }
    }
    if report.object_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: {} object(s) could not be read to the end (the records before the fault were replayed)",
            report.object_errors.len()
        );
        ExitCode::from(2)
    }
}

fn open(a: &ReplayArgs) -> Result<Box<dyn Archive>, String> {
    let Some(location) = a.archive.strip_prefix("s3://") else {
        return Ok(Box::new(LocalArchive::new(Path::new(&a.archive))));
    };
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    if bucket.is_empty() {
        return Err(format!("`{}` names no bucket; expected s3://BUCKET/PREFIX", a.archive));
    }
    s3(a, bucket, prefix)
}

#[cfg(feature = "aws")]
fn s3(a: &ReplayArgs, bucket: &str, prefix: &str) -> Result<Box<dyn Archive>, String> {
    let c = a.aws.connection(std::time::Duration::from_mins(1));
    crate::deploy::S3Archive::connect(&c, bucket, prefix)
        .map(|s| Box::new(s) as Box<dyn Archive>)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "aws"))]
fn s3(_: &ReplayArgs, _: &str, _: &str) -> Result<Box<dyn Archive>, String> {
    Err("this pipec was built without AWS support (cargo feature `aws`), so it cannot read s3:// archives\nhelp: \
         rebuild with the default features, or copy the objects to a folder (`aws s3 sync`) and pass --archive DIR"
        .into())
}

/// The progress line (stderr, a terminal only), redrawn at most 5 times a second.
struct ProgressLine {
    on: bool,
    last: Option<Instant>,
}

impl ProgressLine {
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)] // display only
    fn show(&mut self, p: &Progress, started: Instant) {
        if !self.on || self.last.is_some_and(|t| t.elapsed().as_millis() < 200) {
            return;
        }
        self.last = Some(Instant::now());
        let percent = if p.total_bytes == 0 { 100.0 } else { p.read_bytes as f64 * 100.0 / p.total_bytes as f64 };
        let rate = p.records as f64 / started.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r\x1b[Kreplaying: {percent:5.1} % of {}, {} objects, {} records ({}/s), {} flagged",
            bytes(p.total_bytes),
            p.objects,
            thousands(p.records),
            thousands(rate as u64),
            thousands(p.flagged)
        );
    }

    fn clear(&self) {
        if self.on && self.last.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)] // display only
fn human(r: &Report, spec: &Path, against: Option<&Path>, output: Option<&Path>, seconds: f64) -> String {
    use std::fmt::Write;
    let ts = crate::expr::value::format_timestamp_millis;
    let mut s = String::new();
    let _ = writeln!(s, "replay of {} over {}", spec.display(), r.archive);
    let skipped =
        if r.objects_skipped > 0 { format!(" ({} left out by --from/--to)", r.objects_skipped) } else { String::new() };
    let _ = writeln!(s, "  objects:      {} read, {}{skipped}", r.objects, bytes(r.bytes));
    if let (Some(first), Some(last)) = (r.first_ms, r.last_ms) {
        let _ = writeln!(s, "  arrival:      {} .. {} (object times)", ts(first), ts(last));
    }
    let rate = r.records as f64 / seconds.max(1e-6);
    let _ = writeln!(
        s,
        "  records:      {} in {seconds:.2} s ({} records/s)",
        thousands(r.records),
        thousands(rate as u64)
    );
    let _ = writeln!(s, "  decided:      {}", thousands(r.decided));
    let _ = writeln!(s, "  flagged:      {} (storable; the store keeps one row per key)", thousands(r.flagged));
    let _ = writeln!(s, "  dead letters: {}", thousands(r.dead_letters.count));
    let width = r.rules.iter().map(|x| x.name.len()).max().unwrap_or(4).max(4);
    let _ =
        writeln!(s, "\n  {:width$}  {:6}  {:>12}  {:>12}  {:>12}", "rule", "kind", "seen", "flagged", "dead letters");
    for rule in &r.rules {
        let _ = writeln!(
            s,
            "  {:width$}  {:6}  {:>12}  {:>12}  {:>12}",
            rule.name,
            rule.kind,
            thousands(rule.seen),
            thousands(rule.flagged),
            thousands(rule.dead_letters)
        );
    }
    for rule in r.rules.iter().filter(|x| !x.examples.is_empty()) {
        let _ =
            writeln!(s, "\n  {} ({}):", rule.name, if rule.kind == "window" { "window decisions" } else { "flagged" });
        for example in &rule.examples {
            let _ = writeln!(s, "    {example}");
        }
    }
    if r.dead_letters.count > 0 {
        let _ = writeln!(s, "\n  dead letters by reason:");
        for (reason, n) in &r.dead_letters.reasons {
            let _ = writeln!(s, "    {:>10}  {reason}", thousands(*n));
        }
        for d in &r.dead_letters.examples {
            let _ = writeln!(s, "    e.g. {} #{}: {}: {}", d.object, d.index, d.reason, d.record);
        }
    }
    for e in &r.object_errors {
        let _ = writeln!(s, "\n  unreadable object {}: {}", e.object, e.error);
    }
    if let (Some(diffs), Some(old)) = (&r.against, against) {
        let _ = writeln!(s, "\nagainst {}:", old.display());
        let width = diffs.iter().map(|x| x.name.len()).max().unwrap_or(4).max(4);
        let _ = writeln!(s, "  {:width$}  {:14}  {:>13}  {:>17}", "rule", "in", "newly flagged", "no longer flagged");
        for d in diffs {
            let status = match d.status {
                "both" => "both specs",
                "new" => "new spec only",
                _ => "old spec only",
            };
            let _ = writeln!(
                s,
                "  {:width$}  {status:14}  {:>13}  {:>17}",
                d.name,
                thousands(d.newly_flagged),
                thousands(d.no_longer_flagged)
            );
        }
        for d in diffs {
            for (what, examples) in [("newly flagged", &d.newly_examples), ("no longer flagged", &d.no_longer_examples)]
            {
                for example in examples {
                    let _ = writeln!(s, "    {} {what}: {example}", d.name);
                }
            }
        }
    }
    if let Some(dir) = output {
        let _ = writeln!(
            s,
            "\nwrote {} and {}",
            dir.join("flagged.ndjson").display(),
            dir.join("dead-letter.ndjson").display()
        );
    }
    s
}
