//! Front-end and CloudFormation build speed: `cargo bench --bench compile` prints the median
//! time of `check` and of `check + lower + emit(cfn)` for the reference spec and for generated
//! specs of 10 to 5,000 rules, and the cost per rule (to show it is linear). Peak memory of the
//! real binary is measured by `scripts/bench-build.sh`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use pipec::frontend::check_source;
use pipec::source::Source;
use pipec::target::{Options, Target, emit};

/// A spec with `rules` per-record rules over a 9-field record, plus a store, viewer and topics.
fn generated(rules: usize) -> String {
    let mut s = String::from(
        "version: 1\nname: generated\nstream:\n  shards: 4\n  record:\n    id: string(64)\n    amount: int\n    ratio: float\n    city: string\n    channel: string?\n    vip: bool\n    at: timestamp\n    bank: string\n    note: string?\nhot:\n  rules:\n",
    );
    for i in 0..rules {
        let when = match i % 4 {
            0 => format!("amount > {}", 1000 + i),
            1 => format!("ratio * 2 >= {i}.5 AND city IN ('Oslo', 'Rome', 'c{i}')"),
            2 => format!("channel IS NULL OR channel LIKE 'web-{i}%'"),
            _ => format!("NOT vip AND amount BETWEEN {i} AND {}", i * 2 + 10),
        };
        s.push_str(&format!("    - name: rule-{i}\n      when: {when}\n      notify: [t{}]\n", i % 10));
    }
    s.push_str("  store:\n    key: { partition: id, sort: at }\n    enrich: { doubled: amount * 2, seen: now() }\n    viewer: { sort: -at }\ncold:\n  prefix: raw/\nnotifications:\n");
    for t in 0..10 {
        s.push_str(&format!("  t{t}: {{ email: [t{t}@example.com] }}\n"));
    }
    s
}

fn median(mut f: impl FnMut(), budget: Duration) -> Duration {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 1000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn check(text: &str) {
    let checked = check_source(Source::new("bench.yaml", text), None, &|_| None);
    assert!(!checked.has_errors());
    black_box(checked);
}

fn build(text: &str) {
    let checked = check_source(Source::new("bench.yaml", text), None, &|_| None);
    let pipeline = pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap();
    black_box(emit(Target::Cfn, &pipeline, Options::default()).unwrap());
}

fn main() {
    let reference = std::fs::read_to_string("examples/transactions.yaml").unwrap();
    println!("{:<28} {:>12} {:>12}", "spec", "check", "build cfn");
    let row = |name: &str, text: &str| {
        let c = median(|| check(text), Duration::from_secs(2));
        let b = median(|| build(text), Duration::from_secs(2));
        println!("{name:<28} {:>10.3}ms {:>10.3}ms", c.as_secs_f64() * 1e3, b.as_secs_f64() * 1e3);
        (c, b)
    };
    row("examples/transactions.yaml", &reference);
    let mut per_rule = Vec::new();
    for n in [10, 100, 1000, 5000] {
        let text = generated(n);
        let (c, b) = row(&format!("{n} rules ({} KiB)", text.len() / 1024), &text);
        #[allow(clippy::cast_precision_loss)]
        per_rule.push((n, c.as_secs_f64() * 1e6 / n as f64, b.as_secs_f64() * 1e6 / n as f64));
    }
    println!("\ncost per rule (linear when flat):");
    for (n, c, b) in per_rule {
        println!("  {n:>5} rules: check {c:>7.2}µs/rule, build {b:>7.2}µs/rule");
    }
}
