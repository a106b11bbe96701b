//! `pipec plan`: golden plans of every example (human and JSON, through the binary; the flink
//! ones priced by their KPUs and alerts stream), the
//! under-provisioned diagnostic and its exit code, rates and sizes as flags and in `expected:`,
//! regions, and how the cost moves with the rate (linear where AWS bills per record, in steps
//! where it bills capacity).

mod common;

use std::path::Path;

use common::{Output, Test};
use pipec::estimate::{self, Inputs, Plan};

/// The traffic every golden plan is made for.
const TRAFFIC: [&str; 6] = ["--rate", "2000/s", "--record-size", "300B", "--flagged", "1%"];

fn pipec<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Output {
    Test::new().args(args).run()
}

fn shown(run: &Output) -> String {
    format!("exit {}\n--- stdout\n{}--- stderr\n{}", run.status, run.stdout, run.stderr)
}

#[test]
fn golden_plans_of_every_example() {
    insta::glob!("../examples", "*.yaml", |path| {
        let spec = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_str().unwrap().to_string();
        let mut settings = insta::Settings::clone_current();
        settings.set_description(format!("pipec plan {spec} {}", TRAFFIC.join(" ")));
        settings.set_omit_expression(true);
        settings.bind(|| {
            let human = pipec(["plan", spec.as_str()].into_iter().chain(TRAFFIC));
            insta::assert_snapshot!("human", shown(&human));
            let json = pipec(["plan", spec.as_str(), "--format", "json"].into_iter().chain(TRAFFIC));
            assert_eq!(json.status, human.status, "{}", json.stderr);
            let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
            insta::assert_json_snapshot!("json", value);
        });
    });
}

#[test]
fn an_under_provisioned_stream_is_reported_on_its_shards_and_exits_1() {
    // transactions.yaml declares 1 shard; 2,000 records/s need 3 at 80% of 1,000 records/s.
    let run = pipec(["plan", "examples/transactions.yaml"].into_iter().chain(TRAFFIC));
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stdout.contains("UNDER-PROVISIONED"), "the plan is still printed:\n{}", run.stdout);
    insta::assert_snapshot!(run.stderr);

    // The same rate fits on demand and on 3 shards.
    let spec = std::fs::read_to_string("examples/transactions.yaml").unwrap();
    for (stream, status) in [("  shards: 3\n", 0), ("  on_demand: true\n", 0), ("  shards: 2\n", 1)] {
        let run = Test::new()
            .args(["plan", "-"].into_iter().chain(TRAFFIC))
            .stdin(spec.replace("  shards: 1\n", stream))
            .run();
        assert_eq!(run.status, status, "{stream}{}", run.stderr);
        assert_eq!(run.stderr.contains("pipec::under_provisioned"), status == 1, "{}", run.stderr);
    }
}

#[test]
fn a_stream_without_shards_is_pointed_at_by_its_stream_key() {
    let spec = "version: 1\nname: bare\nstream:\n  record:\n    id: string\ncold: {}\n";
    let run = Test::new().args(["plan", "-", "--rate", "5k/s"]).stdin(spec).run();
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no `shards:` here, so the stream has 1 shard"), "{}", run.stderr);
    assert!(run.stderr.contains("write `shards: 7`"), "5,000 records/s at 800 a shard: {}", run.stderr);
}

#[test]
fn json_plans_carry_the_diagnostic() {
    let run = pipec(["plan", "examples/transactions.yaml", "--format", "json"].into_iter().chain(TRAFFIC));
    assert_eq!(run.status, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["estimate"], true);
    assert_eq!(value["diagnostics"]["diagnostics"][0]["code"], "pipec::under_provisioned");
    assert_eq!(value["capacity"]["stream"]["needed_shards"], 3);
    assert_eq!(value["diagnostics"]["diagnostics"][0]["labels"][0]["start"]["line"], 9);
}

#[test]
fn rates_sizes_and_shares_as_flags() {
    for (flag, value) in [
        ("--rate", "2000/min"),
        ("--rate", "1.5k/s"),
        ("--rate", "5M/d"),
        ("--record-size", "300B"),
        ("--record-size", "4KiB"),
        ("--flagged", "0.5%"),
    ] {
        let mut args = vec!["plan", "examples/clickstream.yaml", flag, value];
        if flag != "--rate" {
            args.extend(["--rate", "10/s"]);
        }
        let run = pipec(args);
        assert_eq!(run.status, 0, "{flag} {value}: {}", run.stderr);
    }
    for (flag, value, says) in [
        ("--rate", "2000", "`2000` has no time unit"),
        ("--rate", "1.5K/s", "`1.5K` is not a number of records"),
        ("--rate", "2000/week", "`/week` is not a time unit"),
        ("--rate", "0/s", "a rate must be more than zero"),
        ("--record-size", "300", "`300` is not a size"),
        ("--record-size", "4kb", "`4kb` is not a size"),
        ("--record-size", "2MiB", "Kinesis takes records of 1B to 1MiB"),
        ("--flagged", "1", "`1` is not a percentage"),
        ("--flagged", "150%", "`150%` is more than 100%"),
        ("--region", "mars-north-1", "[possible values: eu-west-1, us-east-1]"),
    ] {
        let mut args = vec!["plan", "examples/clickstream.yaml", flag, value];
        if flag != "--rate" {
            args.extend(["--rate", "10/s"]);
        }
        let run = pipec(args);
        assert_eq!(run.status, 2, "{flag} {value}");
        assert!(run.stderr.contains(says), "{flag} {value}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn the_rate_comes_from_the_flag_else_the_spec_else_nowhere() {
    let spec = "tests/fixtures/valid/expected_traffic.yaml";
    let run = pipec(["plan", spec]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("traffic: 500 records/s of 300 bytes, 2% flagged"), "{}", run.stdout);
    let run = pipec(["plan", spec, "--rate", "50/s", "--flagged", "10%"]);
    assert!(run.stdout.contains("traffic: 50 records/s of 300 bytes, 10% flagged"), "{}", run.stdout);

    let run = pipec(["plan", "examples/clickstream.yaml"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("no rate to plan for: pass `--rate 2000/s`"), "{}", run.stderr);
}

#[test]
fn a_region_without_prices_says_so_line_by_line() {
    let run = pipec(["plan", "examples/transactions.yaml", "--rate", "10/s", "--region", "eu-west-1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Kinesis Data Streams  shard-hours"), "{}", run.stdout);
    assert!(run.stdout.contains("no price") && run.stdout.contains("+ the unpriced lines above"), "{}", run.stdout);
}

// --- how the cost moves with the rate -------------------------------------------------------

fn pipeline(path: &str) -> pipec::ir::Pipeline {
    let checked = pipec::frontend::load(Path::new(path), None).unwrap_or_else(|_| panic!("{path} loads"));
    assert!(!checked.has_errors(), "{path}");
    pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap()
}

fn plan_at(p: &pipec::ir::Pipeline, rate: f64, record_bytes: u64) -> Plan {
    let inputs = Inputs { rate, record_bytes, flagged: 0.01, region: "us-east-1".into() };
    estimate::plan(p, inputs).unwrap()
}

fn line(plan: &Plan, item: &str) -> f64 {
    plan.cost.lines.iter().find(|l| l.item == item).unwrap_or_else(|| panic!("no line {item}")).quantity
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

const RATES: [f64; 12] = [0.5, 1.0, 3.0, 10.0, 37.0, 100.0, 333.0, 1000.0, 2500.0, 10_000.0, 123_456.0, 2e6];

#[test]
fn per_record_charges_grow_linearly_with_the_rate() {
    // Every line AWS bills per record or per byte: k times the rate, k times the quantity.
    let per_record = [
        "PUT payload units",
        "data ingested",
        "storage (one month of archive)",
        "write request units",
        "storage (one month of items)",
        "publishes",
        "e-mail deliveries",
    ];
    let p = pipeline("examples/transactions.yaml");
    for rate in RATES {
        for k in [2.0, 3.0, 10.0] {
            let (one, many) = (plan_at(&p, rate, 300), plan_at(&p, rate * k, 300));
            for item in per_record {
                let (a, b) = (line(&one, item), line(&many, item));
                assert!(close(b, k * a), "{item} at {rate}/s: {a}, at {k}x: {b}");
            }
        }
    }
    // And on demand, the data written and read.
    let p = pipeline("tests/fixtures/valid/on_demand_several_topics.yaml");
    for rate in RATES {
        let (one, twice) = (plan_at(&p, rate, 2000), plan_at(&p, rate * 2.0, 2000));
        for item in ["data written", "data read"] {
            assert!(close(line(&twice, item), 2.0 * line(&one, item)), "{item} at {rate}/s");
        }
        assert!(close(line(&one, "stream-hours"), 730.0), "an on-demand stream costs its hours at any rate");
    }
}

#[test]
fn capacity_charges_grow_in_steps() {
    let p = pipeline("examples/transactions.yaml");
    let mut previous = 0;
    for rate in RATES {
        let plan = plan_at(&p, rate, 300);
        // Declared shards are billed whatever the rate.
        assert!(close(line(&plan, "shard-hours"), 730.0), "at {rate}/s");
        // Needed shards: the whole number for 80% of 1,000 records/s (300-byte records).
        let needed = plan.capacity.stream.needed_shards;
        assert!(close(f64::from(needed), (rate / 800.0).ceil().max(1.0)), "{needed} shards at {rate}/s");
        assert!(needed >= previous);
        previous = needed;
        // The archive: one object per interval until the 64 MiB buffer fills first.
        let archive = plan.capacity.archive.as_ref().unwrap();
        let fills_first = rate * 300.0 * 60.0 > 64.0 * 1_048_576.0;
        assert_eq!(archive.flushed_by, if fills_first { "size" } else { "interval" }, "at {rate}/s");
        if !fills_first {
            assert!(close(line(&plan, "PUT requests"), 60.0 * 730.0), "at {rate}/s");
        }
    }
    // Shards step up exactly at the 800 records/s boundaries.
    assert_eq!(plan_at(&p, 800.0, 300).capacity.stream.needed_shards, 1);
    assert_eq!(plan_at(&p, 800.5, 300).capacity.stream.needed_shards, 2);
    // With large records the bytes decide: 80% of 1 MiB/s a shard.
    let big = plan_at(&p, 100.0, 100 * 1024);
    assert_eq!(big.capacity.stream.needed_shards, 13);
    assert_eq!(big.capacity.stream.deciding_limit, "write bytes");
}

#[test]
fn invocations_never_fall_as_the_rate_grows() {
    let p = pipeline("examples/bank-bursts.yaml");
    let mut previous = 0.0;
    for rate in RATES {
        let plan = plan_at(&p, rate, 300);
        let total: f64 = plan.capacity.functions.iter().map(|f| f.invocations_per_second).sum();
        assert!(total >= previous, "{total} < {previous} at {rate}/s");
        previous = total;
        for f in &plan.capacity.functions {
            assert!(f.records_per_invocation <= 100.0 + 1e-9, "{} batches at most 100 records", f.name);
        }
    }
}

// --- hot.engine: flink ----------------------------------------------------------------------

#[test]
fn a_flink_application_is_billed_one_kpu_a_shard_plus_orchestration() {
    // The targets emit parallelism = shards (4 on demand) at 1 per KPU; MSF adds 1 KPU.
    let spec = std::fs::read_to_string("examples/card-velocity.yaml").unwrap();
    assert!(spec.contains("  shards: 4\n"));
    for (stream, parallelism) in
        [("  shards: 1\n", 1), ("  shards: 4\n", 4), ("  shards: 7\n", 7), ("  on_demand: true\n", 4)]
    {
        let checked = pipec::frontend::check_source(
            pipec::source::Source::new("card-velocity.yaml", spec.replace("  shards: 4\n", stream)),
            None,
            &|_| None,
        );
        assert!(!checked.has_errors(), "{stream}");
        let p = pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap();
        assert_eq!(pipec::target::aws::flink::parallelism(&p), parallelism, "the targets' parallelism, {stream}");
        let plan = plan_at(&p, 10.0, 300);
        let flink = plan.capacity.flink.as_ref().expect("a flink plan sizes the application");
        assert_eq!((flink.parallelism, flink.kpus, flink.billed_kpus), (parallelism, parallelism, parallelism + 1));
        assert!(close(line(&plan, "KPU-hours"), f64::from(parallelism + 1) * 730.0), "{stream}");
        assert!(close(line(&plan, "running application storage"), f64::from(parallelism) * 50.0), "{stream}");
        // The alerts stream is billed as the one provisioned shard the targets emit; its
        // function replaces the hot and window functions.
        assert!(close(line(&plan, "alerts shard-hours"), 730.0), "{stream}");
        let names: Vec<&str> = plan.capacity.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["alerts"], "{stream}");
        assert_eq!(plan.capacity.stream.consumers, 1, "the application is the stream's one reader");
        // us-east-1 knows the KPU price: the application's lines are priced.
        let kpu = plan.cost.lines.iter().find(|l| l.item == "KPU-hours").unwrap();
        assert!(kpu.monthly.is_some_and(|m| m > 0.0), "{stream}");
    }
    // The KPU count does not move with the rate (autoscaling is off); alerts do.
    let p = pipeline("examples/card-velocity.yaml");
    let (low, high) = (plan_at(&p, 1.0, 300), plan_at(&p, 10_000.0, 300));
    assert!(close(line(&low, "KPU-hours"), line(&high, "KPU-hours")));
    assert!(close(line(&high, "alerts PUT payload units"), 10_000.0 * line(&low, "alerts PUT payload units")));
    assert!(low.capacity.alerts_stream.as_ref().unwrap().enough);
    // 1% of 100,000 records/s is more than one alerts shard takes at 80% of 1,000 records/s.
    assert!(!plan_at(&p, 100_000.0, 300).capacity.alerts_stream.as_ref().unwrap().enough);
}

#[test]
fn a_flink_plan_in_a_region_without_the_kpu_price_leaves_it_unpriced() {
    let run = pipec(["plan", "examples/card-velocity.yaml", "--rate", "10/s", "--region", "eu-west-1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let kpu = run.stdout.lines().find(|l| l.contains("KPU-hours")).unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(kpu.contains("no price") && kpu.contains("unpriced"), "{kpu}");
}
