//! The real `pipec` binary: exit codes, which stream gets what, `explain`, `schema`, `--env`,
//! warnings printed by every command that reads a spec, and hostile inputs (each must end in a
//! coded diagnostic and exit 1, quickly, without a panic).

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Output, Rng, Test, temp_dir};

/// Runs pipec with `args` and nothing else set.
fn pipec<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Output {
    Test::new().args(args).run()
}

/// A file `name` holding `bytes`, in a scratch folder removed when the returned guard drops.
fn scratch(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir("cli");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

const CLEAN: &str = "examples/transactions.yaml";
const WITH_ERRORS: &str = "tests/fixtures/invalid/collects_every_problem.yaml";
const WARNINGS_ONLY: &str =
    "version: 1\nname: plain\nstream:\n  shards: 1\n  encryption: none\n  record:\n    id: string\n";

// --- check: exit codes and streams ------------------------------------------------------------

#[test]
fn clean_spec_exits_0_and_says_ok_on_stdout() {
    let run = pipec(["check", CLEAN]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout, format!("{CLEAN}: ok\n"));
}

#[test]
fn several_specs_get_one_summary_and_the_worst_exit_code() {
    let run = pipec(["check", "examples/transactions.yaml", "examples/clickstream.yaml", "examples/bank-bursts.yaml"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // bank-bursts' `unknown-channel` rule (`channel IS NULL OR ...`) cannot be narrowed by a
    // Lambda filter, and check says so: a warning, not an error.
    assert!(run.stderr.contains("pipec::filter_limit") && run.stderr.contains("0 errors, 1 warning"), "{}", run.stderr);
    assert_eq!(run.stderr.matches("pipec::").count(), 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "examples/transactions.yaml: ok\nexamples/clickstream.yaml: ok\nchecked 3 specs: 3 without errors\n",
        "a spec with warnings gets its report on stderr instead of `ok`"
    );

    let run = pipec(["check", CLEAN, WITH_ERRORS]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("pipec::unknown_field"), "{}", run.stderr);
    assert_eq!(run.stdout, format!("{CLEAN}: ok\nchecked 2 specs: 1 without errors, 1 with errors\n"));

    let run = pipec(["check", WITH_ERRORS, "does/not/exist.yaml", CLEAN]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("does/not/exist.yaml"), "{}", run.stderr);
    assert!(run.stdout.ends_with("checked 3 specs: 1 without errors, 1 with errors, 1 unreadable\n"), "{}", run.stdout);
}

#[test]
fn warnings_only_exit_0_and_are_printed() {
    let (_dir, path) = scratch("warnings.yaml", WARNINGS_ONLY.as_bytes());
    let run = pipec(["check", path_str(&path)]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("pipec::encryption_disabled"), "{}", run.stderr);
    assert!(run.stderr.contains("0 errors, 1 warning"), "{}", run.stderr);
}

#[test]
fn errors_exit_1_human_on_stderr_only() {
    let run = pipec(["check", WITH_ERRORS]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("pipec::unknown_field"), "{}", run.stderr);
    assert!(run.stderr.contains("errors, 1 warning"), "{}", run.stderr);
}

#[test]
fn json_goes_to_stdout_with_positions() {
    let run = pipec(["check", "--format", "json", WITH_ERRORS]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stderr, "");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(report["errors"].as_u64().unwrap() > 1);
    assert_eq!(report["errors"].as_u64().unwrap() + report["warnings"].as_u64().unwrap(), diagnostics.len() as u64);
    for d in diagnostics {
        assert!(d["code"].as_str().unwrap().starts_with("pipec::"), "{d}");
        assert!(["error", "warning"].contains(&d["severity"].as_str().unwrap()), "{d}");
        assert!(!d["message"].as_str().unwrap().is_empty(), "{d}");
        let labels = d["labels"].as_array().unwrap();
        assert_eq!(labels.iter().filter(|l| l["primary"] == true).count(), 1, "{d}");
        for label in labels {
            for end in ["start", "end"] {
                assert!(label[end]["line"].as_u64().unwrap() >= 1, "{d}");
                assert!(label[end]["column"].as_u64().unwrap() >= 1, "{d}");
                assert!(label[end]["offset"].is_u64(), "{d}");
            }
        }
    }
    // `enabled: yes` on line 23 of the fixture: an unknown top-level key at column 1.
    let unknown = diagnostics.iter().find(|d| d["message"] == "unknown key `enabled` in `spec`").unwrap();
    assert_eq!(unknown["labels"][0]["start"]["line"], 23);
    assert_eq!(unknown["labels"][0]["start"]["column"], 1);
    assert_eq!(unknown["labels"][0]["end"]["column"], 8);
}

#[test]
fn json_of_a_clean_spec_is_an_empty_report() {
    let run = pipec(["check", "--format", "json", CLEAN]);
    assert_eq!(run.status, 0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["errors"], 0);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
}

#[test]
fn missing_file_exits_2() {
    let run = pipec(["check", "does/not/exist.yaml"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("pipec::io"), "{}", run.stderr);
    assert!(run.stderr.contains("does/not/exist.yaml"), "{}", run.stderr);
}

#[test]
fn directory_exits_2() {
    let run = pipec(["check", "examples"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    for args in
        [&[][..], &["check"], &["check", CLEAN, "--format", "xml"], &["frobnicate"], &["check", "--nope", CLEAN]]
    {
        let run = pipec(args);
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn check_reads_stdin() {
    let text = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(CLEAN)).unwrap();
    let run = Test::new().args(["check", "-"]).stdin(text).run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "-: ok");

    let run = Test::new().args(["check", "-"]).stdin(&b"version: 1\nname: x\n"[..]).run();
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("`spec` is missing `stream`"), "{}", run.stderr);
}

// --- every command that reads a spec reports its warnings and refuses its errors --------------

#[test]
fn build_prints_warnings_and_builds() {
    let (_dir, path) = scratch("build-warnings.yaml", WARNINGS_ONLY.as_bytes());
    let out = tempfile::tempdir().unwrap();
    Test::new()
        .args(["build", path_str(&path), "--target", "local", "-o"])
        .arg_path(out.path())
        .status(0)
        .stderr_has("pipec::encryption_disabled")
        .stdout_has("wrote ")
        .run();
    // The run configuration names the address `pipec run` listens on by default.
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("local.json")).unwrap()).unwrap();
    assert_eq!(plan["runtime"]["listen"], "127.0.0.1:4567");
}

#[test]
fn run_prints_warnings_before_running() {
    let (_dir, path) = scratch("run-warnings.yaml", WARNINGS_ONLY.as_bytes());
    let data = tempfile::tempdir().unwrap();
    Test::new()
        .args(["run", "--local", path_str(&path), "--listen", "127.0.0.1:0", "--max-events", "5", "--data-dir"])
        .arg_path(data.path())
        .timeout(Duration::from_mins(1))
        .status(0)
        .stderr_has("pipec::encryption_disabled")
        .stderr_has("pipec: done")
        .run();
}

#[test]
fn build_and_run_refuse_errors_alike() {
    let out = tempfile::tempdir().unwrap();
    Test::new()
        .args(["build", WITH_ERRORS, "--target", "cfn", "-o"])
        .arg_path(out.path())
        .refused("pipec::unknown_field")
        .stderr_has("error: nothing was built: fix the errors above first")
        .run();
    Test::new()
        .args(["run", "--local", WITH_ERRORS, "--listen", "127.0.0.1:0", "--max-events", "1"])
        .refused("pipec::unknown_field")
        .stderr_has("error: not running: fix the errors above first")
        .run();
}

// --- explain and schema ----------------------------------------------------------------------

#[test]
fn explain_takes_full_and_bare_codes() {
    for code in ["pipec::unknown_field", "unknown_field"] {
        let run = pipec(["explain", code]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert!(run.stdout.starts_with("pipec::unknown_field\n\n"), "{}", run.stdout);
        assert!(run.stdout.contains("pipec schema"), "{}", run.stdout);
    }
}

#[test]
fn explain_unknown_code_exits_2_with_suggestion() {
    let run = pipec(["explain", "nope"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("unknown diagnostic code `nope`"), "{}", run.stderr);
    let run = pipec(["explain", "pipec::unknown_feild"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("did you mean `pipec::unknown_field`?"), "{}", run.stderr);
}

#[test]
fn schema_prints_json_schema() {
    let run = pipec(["schema"]);
    assert_eq!(run.status, 0);
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("schema is JSON");
    assert!(schema["$schema"].as_str().unwrap().contains("2020-12"), "{}", schema["$schema"]);
    assert!(schema["properties"]["stream"].is_object());
}

// --- --env and the environment ----------------------------------------------------------------

#[test]
fn environments_are_checked_without_env() {
    let fixture = "tests/fixtures/invalid/error_only_in_prod_environment.yaml";
    let run = pipec(["check", fixture]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("(with `--env prod`)"), "{}", run.stderr);
    let run = pipec(["check", "--env", "dev", fixture]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = pipec(["check", "--env", "prod", fixture]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("the shard count is out of range"), "{}", run.stderr);
}

#[test]
fn unknown_env_is_an_error() {
    let run = Test::new()
        .args(["check", "--env", "prd", "examples/bank-bursts.yaml"])
        .refused("pipec::unknown_environment")
        .run();
    assert!(run.stderr.contains("did you mean `prod`?"), "{}", run.stderr);
}

#[test]
fn variables_come_from_the_environment() {
    let spec = "version: 1\nname: ${PIPE_NAME}\nstream:\n  shards: 1\n  record:\n    id: string\n";
    let (_dir, path) = scratch("vars.yaml", spec.as_bytes());
    Test::new().args(["check", path_str(&path)]).refused("pipec::missing_variable").run();
    let run = Test::new().args(["check", path_str(&path)]).env("PIPE_NAME", "from-env").run();
    assert_eq!(run.status, 0, "{}", run.stderr);
}

#[test]
fn no_color_output_has_no_escape_codes() {
    let run = Test::new().args(["check", WITH_ERRORS]).env("NO_COLOR", "1").run();
    assert_eq!(run.status, 1);
    assert!(!run.stderr.contains('\u{1b}'), "escape codes in: {}", run.stderr);
    // Not a terminal: no colour even without NO_COLOR.
    let run = pipec(["check", WITH_ERRORS]);
    assert!(!run.stderr.contains('\u{1b}'));
}

#[test]
fn columns_sets_the_width() {
    let run = Test::new().args(["check", WITH_ERRORS]).env("COLUMNS", "60").run();
    let widest = run.stderr.lines().filter(|l| l.starts_with("  help:")).map(|l| l.chars().count()).max();
    assert!(widest.unwrap() <= 60, "{}", run.stderr);
}

// --- hostile inputs ---------------------------------------------------------------------------

#[test]
fn invalid_utf8_is_refused() {
    let (_dir, path) = scratch("latin1.yaml", b"version: 1\nname: caf\xe9\n");
    let run = Test::new().args(["check", path_str(&path)]).refused("pipec::invalid_utf8").run();
    assert!(run.stderr.contains(":2:10]"), "label on the bad byte: {}", run.stderr);
}

#[test]
fn random_binary_garbage_is_refused() {
    let mut rng = Rng(0x5EED);
    for round in 0..8 {
        let len = 1 + usize::try_from(rng.next() % 4096).unwrap();
        let bytes: Vec<u8> = (0..len).map(|_| rng.next().to_le_bytes()[0]).collect();
        let (_dir, path) = scratch(&format!("garbage-{round}.bin"), &bytes);
        Test::new().args(["check", path_str(&path)]).refused("pipec::").run();
    }
}

#[test]
fn billion_laughs_is_refused() {
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, name) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        let _ = writeln!(text, "{name}: &{name} [{refs}]");
    }
    let (_dir, path) = scratch("lol.yaml", text.as_bytes());
    Test::new().args(["check", path_str(&path)]).refused("pipec::alias_limit").run();
}

#[test]
fn deep_block_nesting_is_refused() {
    // One level per line; 1,500 levels keep the file (indentation grows) under the size limit.
    let text: String = (0..1_500).map(|i| " ".repeat(i * 2) + "- \n").collect();
    let (_dir, path) = scratch("deep-block.yaml", text.as_bytes());
    Test::new().args(["check", path_str(&path)]).refused("pipec::nesting_too_deep").run();
    let text = "- ".repeat(20_000) + "x\n";
    let (_dir, path) = scratch("deep-dashes.yaml", text.as_bytes());
    Test::new().args(["check", path_str(&path)]).refused("pipec::nesting_too_deep").run();
}

#[test]
fn deep_flow_nesting_is_refused() {
    for (name, open, close) in [("deep-flow-seq.yaml", "[", "]"), ("deep-flow-map.yaml", "{a: ", "}")] {
        let text = open.repeat(20_000) + &close.repeat(20_000) + "\n";
        let (_dir, path) = scratch(name, text.as_bytes());
        // The YAML parser's own recursion limit may fire first (as `yaml_syntax`).
        Test::new().args(["check", path_str(&path)]).refused("pipec::").run();
        // Unclosed, too.
        let (_dir, path) = scratch(&format!("unclosed-{name}"), open.repeat(20_000).as_bytes());
        Test::new().args(["check", path_str(&path)]).refused("pipec::").run();
    }
}

fn fifty_megabytes() -> Vec<u8> {
    b"# padding padding padding padding padding padding padding padding padding padding pad\n"
        .repeat(50 * 1024 * 1024 / 86)
}

#[test]
fn huge_file_is_refused() {
    let (_dir, path) = scratch("huge.yaml", &fifty_megabytes());
    Test::new().args(["check", path_str(&path)]).refused("pipec::file_too_large").run();
}

#[test]
fn huge_stdin_is_refused() {
    Test::new().args(["check", "-"]).stdin(fifty_megabytes()).refused("pipec::file_too_large").run();
}

#[test]
fn just_under_the_limit_with_many_unknown_keys_completes() {
    let mut text = String::from("version: 1\nname: big\nstream:\n  shards: 1\n  record:\n    id: string\n");
    let mut i = 0;
    while text.len() < pipec::source::MAX_SPEC_BYTES - 64 {
        let _ = writeln!(text, "unknown_key_{i:07}: value");
        i += 1;
    }
    let (_dir, path) = scratch("many-unknown-keys.yaml", text.as_bytes());
    // A hang guard, not a speed target (that is `benches/`): a debug build on a busy machine
    // takes over a minute here.
    Test::new().args(["check", path_str(&path)]).timeout(Duration::from_mins(3)).refused("pipec::unknown_field").run();
}

// --- init, completions, man, the default build folder ------------------------------------------

/// Runs pipec in `dir` (no stdin) and returns what it printed.
fn pipec_in(dir: &Path, args: &[&str]) -> Output {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pipec");
    Output {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn init_writes_a_commented_starter_that_checks_clean_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = pipec_in(dir.path(), &["init", "orders"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("wrote orders.yaml"), "{}", run.stdout);
    let text = std::fs::read_to_string(dir.path().join("orders.yaml")).unwrap();
    assert!(text.contains("\nname: orders "), "{text}");
    assert!(text.lines().filter(|l| l.trim_start().starts_with('#')).count() >= 5, "not commented:\n{text}");
    let check = pipec_in(dir.path(), &["check", "orders.yaml"]);
    assert_eq!((check.status, check.stdout.as_str(), check.stderr.as_str()), (0, "orders.yaml: ok\n", ""));

    let again = pipec_in(dir.path(), &["init", "orders"]);
    assert_eq!(again.status, 2, "{}", again.stderr);
    assert!(again.stderr.contains("orders.yaml already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("orders.yaml")).unwrap(), text, "overwritten");

    let default = pipec_in(dir.path(), &["init"]);
    assert_eq!(default.status, 0, "{}", default.stderr);
    assert_eq!(pipec_in(dir.path(), &["check", "pipeline.yaml"]).status, 0);
}

#[test]
fn init_from_each_example_checks_clean_under_the_new_name() {
    let dir = tempfile::tempdir().unwrap();
    for (example, name) in [("transactions", "tx"), ("clickstream", "clicks"), ("bank-bursts", "bursts")] {
        let run = pipec_in(dir.path(), &["init", "--from", example, name]);
        assert_eq!(run.status, 0, "{example}: {}", run.stderr);
        let file = format!("{name}.yaml");
        let text = std::fs::read_to_string(dir.path().join(&file)).unwrap();
        assert!(text.contains(&format!("\nname: {name}\n")), "{example}: {text}");
        assert!(!text.contains("yaml-language-server"), "{example}: a repository-relative schema path is left");
        let check = pipec_in(dir.path(), &["check", &file]);
        assert_eq!(check.status, 0, "{example}: {}", check.stderr);
    }
}

#[test]
fn init_refuses_a_name_that_makes_an_invalid_spec_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = pipec_in(dir.path(), &["init", "9lives"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn completions_for_each_shell_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pipec"),
        ("fish", "complete -c pipec"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = pipec(["completions", shell]);
        assert_eq!(run.status, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell}: no `{marker}` in:\n{}", common::head(&run.stdout));
        assert!(run.stdout.contains("init"), "{shell}: subcommands missing");
    }
    let man = pipec(["man"]);
    assert_eq!(man.status, 0, "{}", man.stderr);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH pipec 1"), "{}", common::head(&man.stdout));
    assert!(man.stdout.contains("completions"), "{}", common::head(&man.stdout));
}

#[test]
fn default_build_folder_ignores_itself_and_keeps_an_existing_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join(CLEAN);
    let run = pipec_in(dir.path(), &["build", path_str(&spec), "--target", "cfn"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("wrote build/cfn/"), "{}", run.stdout);
    let ignore = dir.path().join("build/.gitignore");
    let text = std::fs::read_to_string(&ignore).unwrap();
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>(), ["*"]);

    std::fs::write(&ignore, "mine\n").unwrap();
    assert_eq!(pipec_in(dir.path(), &["build", path_str(&spec), "--target", "terraform"]).status, 0);
    assert_eq!(std::fs::read_to_string(&ignore).unwrap(), "mine\n");

    let out = dir.path().join("elsewhere");
    assert_eq!(pipec_in(dir.path(), &["build", path_str(&spec), "--target", "cfn", "-o", path_str(&out)]).status, 0);
    assert!(!out.join(".gitignore").exists(), "an explicit -o folder is the user's own");
}

#[test]
fn run_without_a_terminal_prints_plain_periodic_lines_with_plurals() {
    let data = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--local",
        CLEAN,
        "--data-dir",
        path_str(data.path()),
        "--listen",
        "127.0.0.1:0",
        "--generate",
        "200",
        "--duration",
        "12s",
        "--quiet",
    ];
    let run = Test::new().args(args).timeout(Duration::from_mins(1)).run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains('\x1b'), "terminal escapes without a terminal:\n{}", run.stderr);
    let periodic: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("pipec: this run: ")).collect();
    assert!(!periodic.is_empty(), "no periodic line in 12 s:\n{}", run.stderr);
    assert!(periodic[0].contains(" events (") && periodic[0].contains("dead-lettered"), "{}", periodic[0]);
    assert!(periodic[0].contains(" · viewer http://127.0.0.1:"), "the viewer URL stays visible: {}", periodic[0]);
    assert!(run.stderr.contains("pipec: done in "), "{}", run.stderr);
    assert!(run.stderr.contains("; this run: "), "{}", run.stderr);
    for wrong in ["1 objects", "1 events", "1 new rows"] {
        assert!(!run.stderr.contains(&format!(" {wrong}")), "`{wrong}` in:\n{}", run.stderr);
    }
}

/// Runs the reference pipeline on 2,000 generated events (seed 7) in a fresh data directory.
fn run_seeded(extra: &[&str]) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut args = vec![
        "run",
        "--local",
        CLEAN,
        "--data-dir",
        path_str(data.path()),
        "--listen",
        "127.0.0.1:0",
        "--generate",
        "--max-events",
        "2000",
        "--seed",
        "7",
    ];
    args.extend_from_slice(extra);
    let run = Test::new().args(args).timeout(Duration::from_mins(1)).run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    run
}

#[test]
fn run_summarises_alerts_per_topic_and_prints_each_one_only_with_verbose() {
    let summarised = run_seeded(&[]);
    assert!(!summarised.stdout.lines().any(|l| l.starts_with("alert [")), "{}", common::head(&summarised.stdout));
    let mut total = 0;
    for line in summarised.stdout.lines() {
        // `alerts: high-transactions 310 in the last 1 s`
        let rest = line.strip_prefix("alerts: ").unwrap_or_else(|| panic!("not a summary: {line}"));
        let (topics, _) = rest.rsplit_once(" in the last ").expect(line);
        for topic in topics.split(", ") {
            let (name, n) = topic.rsplit_once(' ').expect(topic);
            assert_eq!(name, "high-transactions", "{line}");
            total += n.replace(',', "").parse::<u64>().expect(line);
        }
    }
    assert!(total > 0, "no alert summarised: {}", summarised.stderr);
    let flagged = summarised.stderr.lines().find_map(|l| l.trim().strip_prefix("flagged")).unwrap();
    assert!(flagged.trim_start().starts_with(&format!("{total} ")), "{total} alerts, flagged{flagged}");

    let verbose = run_seeded(&["--verbose"]);
    let each: Vec<&str> = verbose.stdout.lines().collect();
    assert_eq!(each.len() as u64, total, "one line per alert with --verbose");
    assert!(each.iter().all(|l| l.starts_with("alert [high-transactions] {")), "{}", common::head(&verbose.stdout));

    let quiet = run_seeded(&["--quiet"]);
    assert_eq!(quiet.stdout, "", "--quiet prints no alert");
}

#[test]
fn build_inline_writes_a_template_without_assets_or_names_what_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fits");
    let fits = "specs/features/cold-archive.yaml";
    let run = Test::new().args(["build", fits, "--target", "cfn", "--inline", "-o", path_str(&out)]).run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("template.json")).unwrap()).unwrap();
    assert!(template["Parameters"].get("ArtifactBucket").is_none(), "no bucket to fill in");
    assert!(!out.join("assets").exists());
    let manifest = std::fs::read_to_string(out.join("MANIFEST.txt")).unwrap();
    assert!(manifest.contains("deploys as it is"), "{manifest}");

    let out = dir.path().join("too-large");
    let run = Test::new().args(["build", CLEAN, "--target", "cfn", "--inline", "-o", path_str(&out)]).run();
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(!out.exists(), "nothing is written when a function does not fit");
    insta::assert_snapshot!("build_inline_too_large", sizes_redacted(&run.stderr));

    let run = Test::new().args(["build", fits, "--target", "terraform", "--inline", "-o", path_str(&out)]).run();
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--inline applies to --target cfn only"), "{}", run.stderr);
}

/// Code sizes (`8,038`: four digits or more, but the 4,096 limit) as `N`, so a handler change
/// does not change the snapshot of a message about sizes.
fn sizes_redacted(text: &str) -> String {
    let mut out = String::new();
    let mut number = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() || (c == ',' && !number.is_empty()) {
            number.push(c);
            continue;
        }
        let (digits, comma) = match number.strip_suffix(',') {
            Some(digits) => (digits, ","),
            None => (number.as_str(), ""),
        };
        out.push_str(if digits.len() >= 4 && digits != "4,096" { "N" } else { digits });
        out.push_str(comma);
        number.clear();
        out.push(c);
    }
    out.pop();
    out
}
