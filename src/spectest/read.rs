//! Decoding a test file from the spanned YAML tree into [`TestFile`], checked against the
//! pipeline: every problem is collected (unknown keys, wrong shapes, names of rules, topics,
//! fields and events that do not exist), each pointing at its node.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

use super::model::{Case, DeadLetter, Event, Expect, Flagged, Section, TestFile, TopicAlerts, WindowDecision};
use super::value::to_json;
use crate::diagnostic::{Code, Diagnostic, Span, did_you_mean};
use crate::expr::Program;
use crate::ir::{Pipeline, RuleKind};
use crate::source::Source;
use crate::spec::reader::{Diags, Language, MapReader};
use crate::yaml::{Entry, Node, NodeKind};

/// The `now` of a case that pins none: the epoch.
pub const DEFAULT_NOW: &str = "1970-01-01T00:00:00Z";
/// Events files larger than this are refused (a test is a few events, not a data set).
pub const MAX_EVENTS_FILE: u64 = 64 * 1024 * 1024;

/// Reads a test file. `dir` is where `events_file:` paths are relative to.
///
/// # Errors
/// Every problem in the file; the file is not run when there is one.
pub fn read(source: Source, dir: &Path, pipeline: &Pipeline) -> Result<TestFile, (Source, Diags)> {
    let root = match crate::yaml::parse(source.text()) {
        Ok(root) => root,
        Err(d) => return Err((source, d)),
    };
    let mut d = Diags::new();
    let mut cases = Vec::new();
    let cx = Context { dir, pipeline };
    if let Some(mut top) = keys(&root, "the test file", &mut d) {
        let now = top.take_name("now").and_then(|n| time(n, None, &mut d));
        if let Some(tests) = top.required_name("tests", "[{name: ..., events: [...], expect: {...}}]", &mut d) {
            let mut names: BTreeMap<String, Span> = BTreeMap::new();
            for node in items(tests, "tests", &mut d) {
                if let Some(case) = cx.case(node, now, &mut d) {
                    if let Some(first) = names.get(&case.name) {
                        d.push(
                            Diagnostic::error(
                                Code::DuplicateName,
                                case.name_span,
                                format!("two tests are named `{}`", case.name),
                            )
                            .with_label("second test of this name")
                            .with_secondary(*first, "first defined here")
                            .with_help("give every test its own name: failures are reported by name"),
                        );
                    }
                    names.insert(case.name.clone(), case.name_span);
                    cases.push(case);
                }
            }
            if cases.is_empty() && d.is_empty() {
                d.push(
                    Diagnostic::error(Code::InvalidTest, tests.span, "the test file holds no tests")
                        .with_help("add a test under `tests:`; `pipec test SPEC --record EVENTS -o FILE` writes one"),
                );
            }
        }
        top.finish(&mut d);
    }
    if d.iter().any(Diagnostic::is_error) {
        crate::diagnostic::sort(&mut d);
        return Err((source, d));
    }
    Ok(TestFile { source, cases })
}

struct Context<'a> {
    dir: &'a Path,
    pipeline: &'a Pipeline,
}

impl Context<'_> {
    fn case(&self, node: &Node, file_now: Option<i64>, d: &mut Diags) -> Option<Case> {
        let mut keys = keys(node, "a test", d)?;
        let name = keys.required_name("name", "a large transaction is flagged", d).and_then(|n| text(n, d));
        let now = keys.take_name("now").and_then(|n| time(n, None, d)).or(file_now).unwrap_or(0);
        let inline = keys.take_name("events");
        let file = keys.take_name("events_file");
        let expect = keys.required_name("expect", "{flagged: {...}}", d);
        keys.finish(d);
        let mut events = Vec::new();
        let mut refs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut spans: BTreeMap<String, Span> = BTreeMap::new();
        match (inline, file) {
            (Some(_), Some(f)) => d.push(
                Diagnostic::error(Code::InvalidTest, f.span, "a test has `events` or `events_file`, not both")
                    .with_label("second source of events")
                    .with_help("keep one: inline events, or an NDJSON file of them"),
            ),
            (Some(list), None) => Self::inline(list, now, &mut events, &mut refs, &mut spans, d),
            (None, Some(path)) => self.events_file(path, now, &mut events, &mut refs, d),
            (None, None) => d.push(
                Diagnostic::error(Code::MissingField, at_start(node.span), "a test is missing `events`")
                    .with_label("`events` (or `events_file`) is required here")
                    .with_help("add `events: [{record: {...}}]`, or `events_file: events.ndjson`"),
            ),
        }
        let expect = expect.map(|e| self.expect(e, &refs, d)).unwrap_or_default();
        let (name, name_span) = name?;
        Some(Case { name, name_span, now_ms: now, events, refs, expect })
    }

    fn inline(
        list: &Node,
        now: i64,
        events: &mut Vec<Event>,
        refs: &mut BTreeMap<String, Vec<usize>>,
        spans: &mut BTreeMap<String, Span>,
        d: &mut Diags,
    ) {
        let mut last_arrival = i64::MIN;
        for (position, node) in items(list, "events", d).iter().enumerate() {
            let Some(mut keys) = keys(node, "an event", d) else { continue };
            let record = keys.take_name("record");
            let raw = keys.take_name("raw");
            let name = keys.take_name("name").and_then(|n| text(n, d));
            let at = keys.take_name("at").and_then(|n| time(n, Some(now), d).map(|ms| (ms, n.span)));
            let repeat = keys.take_name("repeat").and_then(|n| count(n, d));
            keys.finish(d);
            let bytes = match (record, raw) {
                (Some(record), None) => match (&record.kind, to_json(record)) {
                    (NodeKind::Map(_), Ok(value)) => Some(value.to_string().into_bytes()),
                    (_, Err(e)) => {
                        d.push(e);
                        None
                    }
                    _ => {
                        d.push(wrong_type(record, "a mapping (the record's fields)"));
                        None
                    }
                },
                (None, Some(raw)) => text(raw, d).map(|(t, _)| t.into_bytes()),
                (Some(_), Some(r)) => {
                    d.push(
                        Diagnostic::error(Code::InvalidTest, r.span, "an event has `record` or `raw`, not both")
                            .with_help("`record:` is a mapping sent as JSON; `raw:` is any text, sent as it is"),
                    );
                    None
                }
                (None, None) => {
                    d.push(
                        Diagnostic::error(Code::MissingField, at_start(node.span), "an event is missing `record`")
                            .with_label("`record` (or `raw`) is required here")
                            .with_help(
                                "add `record: {field: value, ...}`, or `raw: 'text'` for bytes that are not a record",
                            ),
                    );
                    None
                }
            };
            let arrival = at.map_or(now, |(ms, _)| ms);
            if let Some((_, span)) = at.filter(|(ms, _)| *ms < last_arrival) {
                d.push(
                    Diagnostic::error(Code::InvalidTest, span, "arrival times go backwards")
                        .with_label("earlier than the event before it")
                        .with_help("a stream's arrival times never decrease: list the events in arrival order"),
                );
            }
            last_arrival = last_arrival.max(arrival);
            let reference = match name {
                Some((name, span)) => {
                    if let Some(first) = spans.get(&name) {
                        d.push(
                            Diagnostic::error(Code::DuplicateName, span, format!("two events are named `{name}`"))
                                .with_secondary(*first, "first defined here")
                                .with_help("expectations refer to events by name: give each its own"),
                        );
                    }
                    spans.insert(name.clone(), span);
                    name
                }
                None => (position + 1).to_string(),
            };
            let Some(bytes) = bytes else { continue };
            for _ in 0..repeat.unwrap_or(1) {
                refs.entry(reference.clone()).or_default().push(events.len());
                events.push(Event { bytes: bytes.clone(), arrival_ms: arrival, reference: reference.clone() });
            }
        }
    }

    fn events_file(
        &self,
        node: &Node,
        now: i64,
        events: &mut Vec<Event>,
        refs: &mut BTreeMap<String, Vec<usize>>,
        d: &mut Diags,
    ) {
        let Some((name, span)) = text(node, d) else { return };
        let path = self.dir.join(&name);
        let read = std::fs::metadata(&path).and_then(|m| {
            if m.len() > MAX_EVENTS_FILE {
                Err(std::io::Error::other("larger than the 64 MiB limit of an events file"))
            } else {
                std::fs::read(&path)
            }
        });
        match read {
            Ok(bytes) => {
                for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let reference = (i + 1).to_string();
                    refs.entry(reference.clone()).or_default().push(events.len());
                    events.push(Event { bytes: line.to_vec(), arrival_ms: now, reference });
                }
            }
            Err(e) => d.push(
                Diagnostic::error(Code::Io, span, format!("cannot read `{}`: {e}", path.display()))
                    .with_label("this events file")
                    .with_help(
                        "the path is relative to the test file's folder; the file holds one event per line (NDJSON)",
                    ),
            ),
        }
    }

    fn expect(&self, node: &Node, refs: &BTreeMap<String, Vec<usize>>, d: &mut Diags) -> Expect {
        let Some(mut keys) = keys(node, "expect", d) else { return Expect::default() };
        let flagged = keys.take_entry("flagged").map(|(span, n)| Section { span, items: self.flagged(n, refs, d) });
        let stored = keys.take_entry("stored").map(|(span, n)| Section { span, items: self.stored(span, n, d) });
        let alerts = keys.take_entry("alerts").map(|(span, n)| Section { span, items: self.alerts(n, d) });
        let dead_letters =
            keys.take_entry("dead_letters").map(|(span, n)| Section { span, items: Self::dead_letters(n, refs, d) });
        let windows = keys.take_entry("windows").map(|(span, n)| Section { span, items: self.windows(n, d) });
        keys.finish(d);
        Expect { flagged, stored, alerts, dead_letters, windows }
    }

    fn flagged(&self, node: &Node, refs: &BTreeMap<String, Vec<usize>>, d: &mut Diags) -> Vec<Flagged> {
        let mut out = Vec::new();
        for entry in entries(node, "flagged", d) {
            event_ref(&entry.key, entry.key_span, refs, d);
            let rules: Vec<String> = match &entry.value.kind {
                NodeKind::Seq(items) => items.iter().filter_map(|n| text(n, d)).map(|(t, _)| t).collect(),
                _ if entry.value.is_null() => Vec::new(),
                _ => {
                    d.push(wrong_type(&entry.value, "a list of rule names"));
                    continue;
                }
            };
            for (rule, item) in rules.iter().zip(match &entry.value.kind {
                NodeKind::Seq(items) => items.as_slice(),
                _ => &[],
            }) {
                self.rule(rule, item.span, false, d);
            }
            out.push(Flagged { event: entry.key.clone(), span: entry.key_span, rules, rules_span: entry.value.span });
        }
        out
    }

    fn rule(&self, name: &str, span: Span, windowed: bool, d: &mut Diags) -> Option<&crate::ir::Rule> {
        let candidates = self.pipeline.rules.iter().filter(|r| r.is_windowed() == windowed);
        if let Some(rule) = candidates.clone().find(|r| r.name == name) {
            return Some(rule);
        }
        let kind = if windowed { "windowed" } else { "per-record" };
        if self.pipeline.rules.iter().any(|r| r.name == name) {
            let (other, what) = if windowed { ("per-record", "window decisions") } else { ("windowed", "records") };
            d.push(
                Diagnostic::error(Code::UnknownRule, span, format!("`{name}` is a {other} rule, not a {kind} one"))
                    .with_label(format!("a {other} rule"))
                    .with_help(format!(
                        "only {kind} rules flag {what}: expect it under `{}` instead",
                        if windowed { "flagged" } else { "windows" }
                    )),
            );
            return None;
        }
        let help = match did_you_mean(name, candidates.clone().map(|r| r.name.as_str())) {
            Some(close) => format!("did you mean `{close}`?"),
            None => {
                format!("the spec's {kind} rules: {}", list(&candidates.map(|r| r.name.as_str()).collect::<Vec<_>>()))
            }
        };
        d.push(
            Diagnostic::error(Code::UnknownRule, span, format!("the spec has no {kind} rule `{name}`"))
                .with_label("not a rule of the spec")
                .with_help(help),
        );
        None
    }

    fn stored(&self, section: Span, node: &Node, d: &mut Diags) -> Vec<Node> {
        let Some(store) = &self.pipeline.store else {
            d.push(
                Diagnostic::error(Code::InvalidTest, section, "the spec stores nothing (it has no `hot.store`)")
                    .with_help("remove `stored:`, or add a store to the spec"),
            );
            return Vec::new();
        };
        let known: Vec<&str> = self
            .pipeline
            .stream
            .schema
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .chain(store.enrich.iter().map(|e| e.name.as_str()))
            .collect();
        let keys: Vec<&str> = std::iter::once(store.partition.name.as_str())
            .chain(store.sort.as_ref().map(|k| k.name.as_str()))
            .collect();
        let mut out = Vec::new();
        for row in items(node, "stored", d) {
            let NodeKind::Map(entries) = &row.kind else {
                d.push(wrong_type(row, "a mapping (a stored row's fields)"));
                continue;
            };
            for entry in entries {
                if !known.contains(&entry.key.as_str()) {
                    d.push(unknown_field(
                        entry,
                        &known,
                        "stored rows hold the record's declared fields and the enrichments",
                    ));
                }
                if let Err(e) = to_json(&entry.value) {
                    d.push(e);
                }
            }
            let missing: Vec<&str> = keys.iter().copied().filter(|k| row.get(k).is_none()).collect();
            if !missing.is_empty() {
                d.push(
                    Diagnostic::error(
                        Code::MissingField,
                        row.span,
                        format!("a stored row is missing its key `{}`", missing.join("`, `")),
                    )
                    .with_label("rows are matched by their table key")
                    .with_help(format!("give the key fields: {}", list(&keys))),
                );
            }
            out.push(row.clone());
        }
        out
    }

    fn alerts(&self, node: &Node, d: &mut Diags) -> Vec<TopicAlerts> {
        let mut out = Vec::new();
        let topics: Vec<&str> = self.pipeline.topics.iter().map(|t| t.name.as_str()).collect();
        for entry in entries(node, "alerts", d) {
            if !topics.contains(&entry.key.as_str()) {
                let help = did_you_mean(&entry.key, topics.iter().copied()).map_or_else(
                    || format!("the spec's topics: {}", list(&topics)),
                    |c| format!("did you mean `{c}`?"),
                );
                d.push(
                    Diagnostic::error(
                        Code::UnknownTopic,
                        entry.key_span,
                        format!("the spec has no topic `{}`", entry.key),
                    )
                    .with_label("not under the spec's `notifications:`")
                    .with_help(help),
                );
            }
            let value = &entry.value;
            let (count, messages) = match &value.kind {
                NodeKind::Seq(items) => {
                    for item in items {
                        if !matches!(item.kind, NodeKind::Map(_)) {
                            d.push(wrong_type(item, "a mapping (a message's fields)"));
                        } else if let Err(e) = to_json(item) {
                            d.push(e);
                        }
                    }
                    (items.len(), items.clone())
                }
                _ => match count(value, d) {
                    Some(n) => (n, Vec::new()),
                    None => continue,
                },
            };
            out.push(TopicAlerts {
                topic: entry.key.clone(),
                span: entry.key_span,
                count,
                count_span: value.span,
                messages,
            });
        }
        out
    }

    fn dead_letters(node: &Node, refs: &BTreeMap<String, Vec<usize>>, d: &mut Diags) -> Vec<DeadLetter> {
        let mut out = Vec::new();
        for item in items(node, "dead_letters", d) {
            let Some(mut keys) = keys(item, "a dead letter", d) else { continue };
            let event = keys.required_name("event", "3", d).and_then(|n| text(n, d));
            let reason = keys.take_name("reason").and_then(|n| text(n, d));
            keys.finish(d);
            let Some((event, span)) = event else { continue };
            event_ref(&event, span, refs, d);
            out.push(DeadLetter { event, span, reason });
        }
        out
    }

    fn windows(&self, node: &Node, d: &mut Diags) -> Vec<WindowDecision> {
        let mut out = Vec::new();
        for item in items(node, "windows", d) {
            let Some(mut keys) = keys(item, "a window decision", d) else { continue };
            let rule = keys.required_name("rule", "bank-burst", d).and_then(|n| text(n, d));
            let group = keys.required_name("group", "{bankId: b1}", d).cloned();
            let start = keys.take_name("start").cloned();
            let end = keys.take_name("end").cloned();
            let aggregates = keys.take_name("aggregates").cloned();
            keys.finish(d);
            let (Some((name, span)), Some(group)) = (rule, group) else { continue };
            if let Some(rule) = self.rule(&name, span, true, d) {
                let RuleKind::Windowed { group_by, .. } = &rule.kind else { unreachable!("a windowed rule") };
                match &group.kind {
                    NodeKind::Map(entries) => {
                        for entry in entries.iter().filter(|e| !group_by.contains(&e.key)) {
                            let names: Vec<&str> = group_by.iter().map(String::as_str).collect();
                            d.push(unknown_field(entry, &names, "a group holds the rule's `group_by` fields"));
                        }
                    }
                    _ => d.push(wrong_type(&group, "a mapping (the `group_by` fields' values)")),
                }
                if let Some(aggregates) = &aggregates {
                    let program = Program::compile(&rule.when, &self.pipeline.stream.schema);
                    let names: Vec<String> =
                        program.aggregates().iter().map(crate::expr::AggregateSpec::label).collect();
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    match &aggregates.kind {
                        NodeKind::Map(entries) => {
                            for entry in entries.iter().filter(|e| !names.contains(&e.key.as_str())) {
                                d.push(unknown_field(entry, &names, "the rule's aggregates, written as in its `when`"));
                            }
                        }
                        _ => d.push(wrong_type(aggregates, "a mapping such as `count(*): 101`")),
                    }
                }
            }
            for n in [Some(&group), start.as_ref(), end.as_ref(), aggregates.as_ref()].into_iter().flatten() {
                if let Err(e) = to_json(n) {
                    d.push(e);
                }
            }
            out.push(WindowDecision { rule: name, span, group, start, end, aggregates });
        }
        out
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() { "none".to_owned() } else { format!("`{}`", names.join("`, `")) }
}

fn event_ref(name: &str, span: Span, refs: &BTreeMap<String, Vec<usize>>, d: &mut Diags) {
    if refs.contains_key(name) {
        return;
    }
    let help = match did_you_mean(name, refs.keys().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "an event is named by its `name:`, else by its position in `events` (1 for the first) or its line in `events_file`".to_owned(),
    };
    d.push(
        Diagnostic::error(Code::UnknownEvent, span, format!("no event `{name}` in this test"))
            .with_label("not an event of this test")
            .with_help(help),
    );
}

fn unknown_field(entry: &Entry, known: &[&str], what: &str) -> Diagnostic {
    let help = match did_you_mean(&entry.key, known.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("{what}: {}", list(known)),
    };
    Diagnostic::error(Code::UnknownRecordField, entry.key_span, format!("no field `{}` here", entry.key))
        .with_label("not a field of this value")
        .with_help(help)
}

/// An arrival or `now` time: RFC 3339 (UTC when it has no zone), or `+30s` / `-1m` from `now`.
fn time(node: &Node, now: Option<i64>, d: &mut Diags) -> Option<i64> {
    let (text, span) = text(node, d)?;
    let relative = now.and_then(|now| {
        let (sign, rest) = match text.as_bytes().first()? {
            b'+' => (1, &text[1..]),
            b'-' => (-1, &text[1..]),
            _ => return None,
        };
        let ms = i64::try_from(crate::spec::units::Duration::parse(rest)?.0).ok()?;
        Some(now + sign * ms)
    });
    let absolute = || {
        let t = crate::expr::timestamp::parse(&text)?;
        Some(t.unix_seconds(0) * 1000 + i64::from(t.nanos / 1_000_000))
    };
    let found = relative.or_else(absolute);
    if found.is_none() {
        let relative = if now.is_some() { ", or `+30s` after the test's `now`" } else { "" };
        d.push(
            Diagnostic::error(Code::InvalidValue, span, format!("`{text}` is not a time"))
                .with_label("expected a time")
                .with_help(format!("write a time such as `2026-11-26T12:00:00Z` (UTC without a zone){relative}")),
        );
    }
    found
}

fn count(node: &Node, d: &mut Diags) -> Option<usize> {
    match to_json(node) {
        Ok(Json::Number(n)) if n.as_u64().is_some() => usize::try_from(n.as_u64()?).ok(),
        _ => {
            d.push(wrong_type(node, "a whole number"));
            None
        }
    }
}

/// How a test file names its parts for the spec's readers (`spec::reader`).
const TEST_FILE: Language = Language {
    shapes: "the README's \"Testing rules\" section shows every key of a test file",
    unknown: "not part of a test file here",
    null_is_empty_map: false,
};

fn text(node: &Node, d: &mut Diags) -> Option<(String, Span)> {
    TEST_FILE.text(node, d).map(|t| (t.value, t.span))
}

fn items<'n>(node: &'n Node, what: &str, d: &mut Diags) -> &'n [Node] {
    TEST_FILE.items(node, what, d)
}

fn entries<'n>(node: &'n Node, what: &str, d: &mut Diags) -> &'n [Entry] {
    TEST_FILE.entries(node, what, d)
}

fn wrong_type(node: &Node, expected: &str) -> Diagnostic {
    TEST_FILE.wrong_type(node, expected)
}

/// The keys of one mapping of the test file (`what` as messages name it, e.g. "a test").
fn keys<'n>(node: &'n Node, what: &str, d: &mut Diags) -> Option<MapReader<'n>> {
    MapReader::read(TEST_FILE, node, what.to_owned(), d)
}

/// An empty span at the start of `span` (where a missing key would go).
fn at_start(span: Span) -> Span {
    Span::new(span.start, span.start)
}
