//! `pipec graph`: snapshots of every spec in every format; the `--target` graphs hold every
//! resource the emitters write; the SVG layout's promises (no overlapping nodes or labels, text
//! inside its node, edges clear of nodes, all inside the picture) for every graph and a
//! 20-rule spec; hostile text stays text in SVG, Mermaid and DOT (checked with an XML parser,
//! Mermaid's own parser and Graphviz's `dot`); the viewer's diagram page measured in Chromium.

#[path = "support/server.rs"]
mod server;
#[path = "support/specs.rs"]
mod specs;
#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pipec::frontend::check_source;
use pipec::graph::{self, Format, Graph, Layout};
use pipec::ir::Pipeline;
use pipec::source::Source;
use pipec::target::{self, Target};

mod common;
use common::{specs_in, temp_dir, vars};

const FORMATS: [(Format, &str); 3] = [(Format::Svg, "svg"), (Format::Mermaid, "mermaid"), (Format::Dot, "dot")];

/// The targets whose resources `pipec graph --target` draws (the flink target writes one SQL
/// script, no resources; `graph::resources` refuses it with a message).
const DRAWN: [Target; 3] = [Target::Cfn, Target::Terraform, Target::Local];
fn specs() -> Vec<PathBuf> {
    let all = specs_in(&["examples", "tests/fixtures/valid", "tests/fixtures/graph"]);
    assert!(all.len() >= 9);
    all
}

fn lower(name: &str, text: &str) -> Pipeline {
    let checked = check_source(Source::new(name.to_string(), text.to_string()), None, &vars);
    assert!(!checked.has_errors(), "{name} must check clean");
    pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap()
}

fn pipeline(path: &Path) -> Pipeline {
    lower(&path.display().to_string(), &std::fs::read_to_string(path).unwrap())
}

/// A spec with 20 rules (per record and windowed, several topics), for readability at scale.
fn twenty_rules() -> String {
    let mut spec = String::from(
        "version: 1\nname: twenty\nstream:\n  shards: 4\n  record:\n    id: string\n    amount: int\n    \
         country: string\n    at: timestamp\nhot:\n  rules:\n",
    );
    for i in 0..20 {
        if i % 4 == 3 {
            spec.push_str(&format!(
                "    - name: burst-{i}\n      window: {{ tumbling: {}m }}\n      group_by: [country]\n      \
                 when: count(*) > {}\n      notify: [team-{}]\n",
                i % 3 + 1,
                100 + i,
                i % 3
            ));
        } else {
            spec.push_str(&format!(
                "    - name: rule-number-{i}\n      when: amount > {} AND country IN ('DE', 'FR', 'NL')\n      \
                 severity: {}\n      notify: [team-{}]\n",
                1000 * (i + 1),
                ["low", "medium", "high", "critical"][i % 4],
                i % 3
            ));
        }
    }
    spec.push_str(
        "  store:\n    key: { partition: id, sort: at }\n    viewer: { title: Twenty rules, sort: -at }\n\
         cold:\n  prefix: raw/\nnotifications:\n",
    );
    for t in 0..3 {
        spec.push_str(&format!("  team-{t}:\n    email: [team-{t}@example.com]\n"));
    }
    spec
}

#[test]
fn snapshots_of_every_spec_in_every_format() {
    insta::glob!("../examples", "*.yaml", snapshot_every_format);
    insta::glob!("fixtures/valid", "*.yaml", snapshot_every_format);
    insta::glob!("fixtures/graph", "*.yaml", snapshot_every_format);
}

fn snapshot_every_format(path: &Path) {
    specs::named_by_repo_path(path, || {
        let p = pipeline(path);
        let mut settings = insta::Settings::clone_current();
        settings.set_description(std::fs::read_to_string(path).unwrap());
        settings.set_omit_expression(true);
        settings.bind(|| {
            let g = graph::logical(&p);
            for (format, name) in FORMATS {
                insta::assert_snapshot!(name, graph::render(&g, format));
            }
            // The targets' resource graphs, in the most compact format.
            for t in DRAWN {
                insta::assert_snapshot!(
                    format!("{}_mermaid", t.name()),
                    graph::render(&graph::resources(t, &p).unwrap(), Format::Mermaid)
                );
            }
        });
    });
}

#[test]
fn rendering_is_deterministic() {
    for path in specs() {
        let (a, b) = (graph::logical(&pipeline(&path)), graph::logical(&pipeline(&path)));
        for (format, _) in FORMATS {
            assert_eq!(graph::render(&a, format), graph::render(&b, format), "{}", path.display());
        }
    }
}

fn titles(g: &Graph) -> BTreeSet<String> {
    g.nodes.iter().map(|n| n.title.clone()).collect()
}

fn linked(g: &Graph, from: &str, to: &str) -> bool {
    g.edges.iter().any(|e| g.nodes[e.from].title == from && g.nodes[e.to].title == to)
}

#[test]
fn every_resource_of_the_cloudformation_template_is_in_its_graph() {
    for path in specs() {
        let p = pipeline(&path);
        let artifacts = target::emit(Target::Cfn, &p, target::Options::default()).unwrap();
        let template: serde_json::Value =
            serde_json::from_slice(&artifacts.iter().find(|a| a.path == "template.json").unwrap().bytes).unwrap();
        let resources = template["Resources"].as_object().unwrap();
        let g = graph::resources(Target::Cfn, &p).unwrap();
        assert_eq!(titles(&g), resources.keys().cloned().collect(), "{}", path.display());
        assert_eq!(g.nodes.len(), resources.len());
        // Each event-source mapping reads its stream (the flink engine's alerts function reads
        // the alerts stream) and invokes its function.
        for (id, r) in resources.iter().filter(|(_, r)| r["Type"] == "AWS::Lambda::EventSourceMapping") {
            let function = r["Properties"]["FunctionName"]["Ref"].as_str().unwrap();
            let stream = r["Properties"]["EventSourceArn"]["Fn::GetAtt"][0].as_str().unwrap();
            assert!(linked(&g, id, function), "{id} -> {function} in {}", path.display());
            assert!(linked(&g, stream, id), "{stream} -> {id} in {}", path.display());
        }
        if matches!(p.engine, pipec::ir::Engine::Flink(_)) {
            assert!(linked(&g, "Stream", "FlinkApplication"), "Stream -> FlinkApplication in {}", path.display());
        }
        // Each function uses its role.
        for (id, r) in resources.iter().filter(|(_, r)| r["Type"] == "AWS::Lambda::Function") {
            let role = r["Properties"]["Role"]["Fn::GetAtt"][0].as_str().unwrap();
            assert!(linked(&g, role, id), "{role} -> {id} in {}", path.display());
        }
    }
}

#[test]
fn every_block_of_the_terraform_module_is_in_its_graph() {
    for path in specs() {
        let p = pipeline(&path);
        let artifacts = target::emit(Target::Terraform, &p, target::Options::default()).unwrap();
        let main = String::from_utf8(artifacts.iter().find(|a| a.path == "main.tf").unwrap().bytes.clone()).unwrap();
        // Read the block headers from the text, independently of the HCL parser the graph uses.
        let blocks: BTreeSet<String> = main
            .lines()
            .filter_map(|line| {
                let parts: Vec<&str> = line.trim_end_matches(" {}").trim_end_matches(" {").split(' ').collect();
                match parts.as_slice() {
                    ["resource", kind, label] => {
                        Some(format!("{}.{}", kind.trim_matches('"'), label.trim_matches('"')))
                    }
                    ["data", kind, label] => {
                        Some(format!("data.{}.{}", kind.trim_matches('"'), label.trim_matches('"')))
                    }
                    _ => None,
                }
            })
            .collect();
        let g = graph::resources(Target::Terraform, &p).unwrap();
        assert!(blocks.len() > 5, "{}", path.display());
        assert_eq!(titles(&g), blocks, "{}", path.display());
        let (from, to) = if matches!(p.engine, pipec::ir::Engine::Flink(_)) {
            ("aws_kinesis_stream.stream", "aws_kinesisanalyticsv2_application.flink_application")
        } else {
            ("aws_kinesis_stream.stream", "aws_lambda_event_source_mapping.hot_function_mapping")
        };
        assert!(linked(&g, from, to) || p.record_rules().next().is_none(), "{from} -> {to} in {}", path.display());
    }
}

#[test]
fn every_part_of_the_local_plan_is_in_its_graph() {
    for path in specs() {
        let p = pipeline(&path);
        let g = graph::resources(Target::Local, &p).unwrap();
        let names = titles(&g);
        for rule in &p.rules {
            assert!(names.contains(&format!("rule {}", rule.name)), "{}: {}", path.display(), rule.name);
        }
        for topic in &p.topics {
            assert!(names.contains(&format!("topic {}", topic.name)), "{}: {}", path.display(), topic.name);
        }
        assert_eq!(names.contains("store.sqlite"), p.store.is_some(), "{}", path.display());
        assert_eq!(names.iter().any(|n| n.starts_with("archive/")), p.archive.is_some(), "{}", path.display());
    }
}

/// The layout's promises, checked on its own coordinates (label boxes from the font table).
fn assert_readable(diagram: &Graph, what: &str) {
    let l: Layout = graph::layout(diagram);
    let inside = |x: i32, y: i32, w: i32, h: i32| x >= 0 && y >= 0 && x + w <= l.width && y + h <= l.height;
    let mut boxes: Vec<(i32, i32, i32, i32, String)> = Vec::new();
    let text_box = |t: &graph::layout::Text, size: u32| {
        let w = graph::metrics::width(&t.content, size, t.bold);
        (t.x, t.y - 13, w, 17, t.content.clone())
    };
    boxes.push(text_box(&l.title, 16));
    boxes.extend(l.legend.iter().map(|s| text_box(&s.label, 13)));
    for (i, n) in l.nodes.iter().enumerate() {
        assert!(inside(n.x, n.y, n.w, n.h), "{what}: node {i} outside the picture");
        for t in &n.text {
            let b = text_box(t, 13);
            assert!(
                b.0 >= n.x && b.0 + b.2 <= n.x + n.w && b.1 >= n.y && b.1 + b.3 <= n.y + n.h,
                "{what}: `{}` outside its node",
                t.content
            );
            boxes.push(b);
        }
        for (j, m) in l.nodes.iter().enumerate().skip(i + 1) {
            let apart = n.x + n.w <= m.x || m.x + m.w <= n.x || n.y + n.h <= m.y || m.y + m.h <= n.y;
            assert!(apart, "{what}: nodes {i} and {j} overlap");
        }
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart = a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
            assert!(apart, "{what}: labels `{}` and `{}` overlap", a.4, b.4);
        }
    }
    // Edges: sample every piece; no point may be strictly inside a node.
    for route in &l.routes {
        let mut at = (f64::from(route.start.0), f64::from(route.start.1));
        let mut points = vec![at];
        for segment in &route.segments {
            match *segment {
                graph::layout::Segment::Line(lx, ly) => {
                    let to = (f64::from(lx), f64::from(ly));
                    points.extend((1..=20).map(|k| {
                        let t = f64::from(k) / 20.0;
                        (at.0 + (to.0 - at.0) * t, at.1 + (to.1 - at.1) * t)
                    }));
                    at = to;
                }
                graph::layout::Segment::Curve { c1, c2, to } => {
                    let float = |v: (i32, i32)| (f64::from(v.0), f64::from(v.1));
                    let (p1, p2, p3) = (float(c1), float(c2), float(to));
                    points.extend((1..=40).map(|k| {
                        let t = f64::from(k) / 40.0;
                        let u = 1.0 - t;
                        let f = |a: f64, b: f64, c: f64, d: f64| {
                            u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d
                        };
                        (f(at.0, p1.0, p2.0, p3.0), f(at.1, p1.1, p2.1, p3.1))
                    }));
                    at = p3;
                }
            }
        }
        for (x, y) in points {
            for (i, n) in l.nodes.iter().enumerate() {
                let strictly = x > f64::from(n.x) + 0.5
                    && x < f64::from(n.x + n.w) - 0.5
                    && y > f64::from(n.y) + 0.5
                    && y < f64::from(n.y + n.h) - 0.5;
                assert!(!strictly, "{what}: edge {} crosses node {i} at ({x:.0}, {y:.0})", route.edge);
            }
        }
    }
}

#[test]
fn layouts_keep_their_promises_for_every_graph_and_twenty_rules() {
    let mut graphs: Vec<(String, Graph)> = Vec::new();
    let mut pipelines: Vec<(String, Pipeline)> =
        specs().iter().map(|p| (p.display().to_string(), pipeline(p))).collect();
    pipelines.push(("twenty rules".into(), lower("twenty.yaml", &twenty_rules())));
    for (name, p) in &pipelines {
        graphs.push((name.clone(), graph::logical(p)));
        for t in DRAWN {
            graphs.push((format!("{name} --target {}", t.name()), graph::resources(t, p).unwrap()));
        }
    }
    for (name, g) in &graphs {
        assert_readable(g, name);
    }
    let twenty = graph::logical(&pipelines.last().unwrap().1);
    assert_eq!(twenty.nodes.iter().filter(|n| n.title.starts_with("rule ")).count(), 20);
}

#[test]
fn hostile_text_stays_text_in_every_format() {
    let path = tools::repo_root().join("tests/fixtures/graph/hostile_text.yaml");
    let g = graph::logical(&pipeline(&path));
    let condition = &pipeline(&path).rules[0].source;
    // SVG: well-formed XML whose text holds the condition exactly (Python's parser).
    let svg = graph::render(&g, Format::Svg);
    let script = "import sys, xml.dom.minidom as m\nd = m.parseString(sys.stdin.buffer.read())\n\
                  print('\\n'.join(t.firstChild.data for t in d.getElementsByTagName('title') if t.firstChild))";
    let out = pipe(Command::new(tools::python()).args(["-c", script]), svg.as_bytes());
    assert!(out.status.success(), "{}", tools::describe(&out));
    let titles = String::from_utf8(out.stdout).unwrap();
    assert!(titles.contains(&format!("when {condition}")), "{titles}");
    assert!(titles.contains("Q&A <script>alert('x')</script> \"quoted\" #35; ]) end \\n"), "{titles}");
    // Mermaid: inside each quoted label, no quote and no markup but pipec's own.
    let mermaid = graph::render(&g, Format::Mermaid);
    for label in mermaid.split('"').skip(1).step_by(2) {
        let bare = label.replace("<b>", "").replace("</b>", "").replace("<br/>", "");
        assert!(!bare.contains(['<', '>', '&', '"', '%', '{', '}', '[', ']', ';']) || bare.contains('#'), "{label}");
        assert!(!bare.contains(['<', '>', '&']), "{label}");
    }
    assert_eq!(mermaid_check("mermaid-hostile", &[("hostile.mmd".into(), mermaid)], 1), vec![true]);
    // DOT: Graphviz parses it and draws the condition as one text.
    let dot = graph::render(&g, Format::Dot);
    let out = pipe(Command::new(dot_bin()).arg("-Tsvg"), dot.as_bytes());
    assert!(out.status.success(), "{}", tools::describe(&out));
    let drawn = String::from_utf8(out.stdout).unwrap();
    assert!(drawn.contains("when note = &#39;&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;&#39;"), "{drawn}");
}

fn pipe(command: &mut Command, input: &[u8]) -> std::process::Output {
    use std::io::Write as _;
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn dot_bin() -> &'static str {
    assert!(
        Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success()),
        "graphviz's dot is missing: run make tools (scripts/graph-tools.sh installs Debian's graphviz)"
    );
    "dot"
}

#[test]
fn graphviz_parses_every_dot_output() {
    let dot = dot_bin();
    for path in specs() {
        let text = graph::render(&graph::logical(&pipeline(&path)), Format::Dot);
        let out = pipe(Command::new(dot).arg("-Tsvg"), text.as_bytes());
        assert!(out.status.success() && out.stderr.is_empty(), "{}: {}", path.display(), tools::describe(&out));
    }
    // The check can fail: an unbalanced quote is refused.
    let out = pipe(Command::new(dot).arg("-Tsvg"), b"digraph { a [label=\"x]; }");
    assert!(!out.status.success());
}

/// Runs Mermaid's parser (and, for the first `render` texts, its renderer) on each text;
/// whether each was accepted.
fn mermaid_check(name: &str, diagrams: &[(String, String)], render: usize) -> Vec<bool> {
    let dir = tools::repo_root().join("tests/graph");
    let check =
        Command::new("bash").arg(tools::repo_root().join("scripts/graph-tools.sh")).arg("--check").output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr).trim());
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "/usr/bin/chromium is missing: run make tools (scripts/browser.sh)"
    );
    let scratch = temp_dir(name);
    let tmp = scratch.path();
    let files: Vec<PathBuf> = diagrams
        .iter()
        .map(|(name, text)| {
            let file = tmp.join(name);
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect();
    let out = Command::new("node")
        .arg(dir.join("mermaid.mjs"))
        .args(&files[..render])
        .arg("--parse-only")
        .args(&files[render..])
        .current_dir(&dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    files
        .iter()
        .map(|f| {
            let line = report
                .lines()
                .find(|l| l.split(' ').nth(1) == Some(&f.display().to_string()))
                .expect("a line per file");
            line.starts_with("OK ")
        })
        .collect()
}

#[test]
fn mermaids_own_parser_accepts_every_diagram() {
    // Rendered: each pipeline and the 20-rule spec; parsed only (large): the target graphs.
    let mut diagrams: Vec<(String, String)> = Vec::new();
    let mut targets: Vec<(String, String)> = Vec::new();
    for path in specs() {
        let p = pipeline(&path);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        diagrams.push((format!("{stem}.mmd"), graph::render(&graph::logical(&p), Format::Mermaid)));
        for t in DRAWN {
            targets.push((
                format!("{stem}-{}.mmd", t.name()),
                graph::render(&graph::resources(t, &p).unwrap(), Format::Mermaid),
            ));
        }
    }
    diagrams.push((
        "twenty.mmd".into(),
        graph::render(&graph::logical(&lower("twenty", &twenty_rules())), Format::Mermaid),
    ));
    let render = diagrams.len();
    diagrams.extend(targets);
    // The check can fail: a label with a bare quote in it is refused.
    diagrams.push(("broken.mmd".into(), "flowchart LR\n  n0[\"a \"quoted\" b\"] --> n1\n".into()));
    let accepted = mermaid_check("mermaid-all", &diagrams, render);
    let refused: Vec<&String> = diagrams.iter().zip(&accepted).filter(|(_, ok)| !**ok).map(|(d, _)| &d.0).collect();
    assert_eq!(refused, [&"broken.mmd".to_string()]);
}

#[test]
fn the_binary_prints_writes_and_refuses() {
    let scratch = temp_dir("graph-cli");
    let dir = scratch.path();
    let out = Command::new(server::BIN).args(["graph", server::SPEC, "--format", "mermaid"]).output().unwrap();
    assert!(out.status.success(), "{}", tools::describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("flowchart LR\n"));
    let file = dir.join("t.svg");
    let out =
        Command::new(server::BIN).args(["graph", server::SPEC, "--target", "cfn", "-o"]).arg(&file).output().unwrap();
    assert!(out.status.success() && out.stdout.is_empty(), "{}", tools::describe(&out));
    assert!(std::fs::read_to_string(&file).unwrap().contains("HotFunctionMapping"));
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "version: 1\nname: x\nstream: {}\nhot: { rules: [{ name: r, when: nope > 1 }] }\n").unwrap();
    let out = Command::new(server::BIN).args(["graph"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", tools::describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no graph was drawn"), "{}", tools::describe(&out));
}

#[test]
fn the_viewer_shows_the_diagram_without_overlaps_in_chromium() {
    let script = tools::browser_script("graph.mjs");
    let scratch = temp_dir("graph-browser");
    let dir = scratch.path();
    let twenty = dir.join("twenty.yaml");
    std::fs::write(&twenty, twenty_rules()).unwrap();
    let runs = [
        server::Run::start(Path::new(server::SPEC), &dir.join("transactions")),
        server::Run::start(&twenty, &dir.join("twenty")),
    ];
    let urls: Vec<String> = runs.iter().map(|r| format!("{}/graph", r.url())).collect();
    for (run, url) in runs.iter().zip(&urls) {
        let page = server::get(&run.addr, "/graph");
        assert_eq!(page.status, 200, "{url}: {}", page.text());
        assert!(page.headers.get("content-security-policy").is_some_and(|p| p.contains("default-src 'none'")));
    }
    let out = Command::new("node").arg(&script).args(&urls).stdin(Stdio::null()).output().unwrap();
    for run in runs {
        let (status, stderr) = run.terminate();
        assert!(status.success(), "{stderr}");
    }
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    let checked: Vec<&str> = report.lines().filter(|l| l.starts_with("CHECKED ")).collect();
    assert_eq!(checked.len(), 4, "{report}");
    for line in &checked {
        let nodes: usize = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(nodes >= 8, "{line}");
    }
    // The 20-rule page: its 20 rules, store, viewer, topics, subscribers, archive and stream.
    for line in &checked[2..] {
        let nodes: usize = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(nodes >= 28, "{line}");
    }
    assert!(
        !report.lines().any(|l| ["OVERLAP", "OUTSIDE", "CONSOLE", "ERROR"].iter().any(|p| l.starts_with(p))),
        "{report}"
    );
}
