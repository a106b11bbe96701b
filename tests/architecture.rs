//! The import rules of `ARCHITECTURE.md`, checked on the source: no two files of `src/` import
//! each other (directly or in a circle), and no stage imports a later one.
//!
//! A node is one file (`foo/mod.rs` is module `foo`). An edge is any `crate::`, `super::` or
//! `self::` path outside `#[cfg(test)]` code, resolved to the longest module that exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Earlier stages first; a module may import its own stage and earlier ones.
const STAGES: &[&[&str]] = &[
    &["source", "diagnostic", "yaml", "limits"],
    &["expr"],
    &["spec"],
    &["check"],
    &["frontend"],
    &["ir", "alert"],
    &["runtime"],
    &["replay"],
    &["target"],
    &["spectest"],
    &["schema", "graph", "estimate"],
    &["deploy"],
    &["cli"],
    &["lib", "main"],
];

type Module = Vec<String>;

fn module_of(relative: &Path) -> Module {
    let mut parts: Module = relative.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

fn files(dir: &Path, root: &Path, out: &mut BTreeMap<Module, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.insert(module_of(path.strip_prefix(root).unwrap()), text);
        }
    }
}

/// The text without `#[cfg(test)]` code (by convention the file's last item) and comments.
fn code(text: &str) -> String {
    let text = text.find("#[cfg(test)]").map_or(text, |cut| &text[..cut]);
    text.lines().map(|l| l.find("//").map_or(l, |c| &l[..c])).collect::<Vec<_>>().join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a file names: each `crate::a::b`, `super::a`, `self::a`, with one level of
/// `{a, b::c}` groups expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .find(|p| bytes[i..].iter().take(p.len()).copied().eq(p.chars()) && (i == 0 || !is_ident(bytes[i - 1])));
        let Some(start) = starts else {
            i += 1;
            continue;
        };
        let mut segments = vec![start.trim_end_matches(':').to_string()];
        i += start.len();
        loop {
            let s = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            if i > s {
                segments.push(bytes[s..i].iter().collect());
            }
            if bytes[i..].starts_with(&[':', ':', '{']) {
                let end = i + bytes[i..].iter().position(|&c| c == '}').unwrap_or(0);
                let group: String = bytes[i + 3..end].iter().collect();
                for item in group.split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() {
                        let mut path = segments.clone();
                        path.push(first.to_string());
                        found.push(path);
                    }
                }
                i = end;
                break;
            }
            if i > s && bytes[i..].starts_with(&[':', ':']) {
                i += 2;
            } else {
                found.push(segments);
                break;
            }
        }
    }
    found
}

fn resolve(from: &Module, path: &[String], modules: &BTreeMap<Module, String>) -> Option<Module> {
    let mut full: Module = match path[0].as_str() {
        "crate" => Vec::new(),
        "super" => from[..from.len().saturating_sub(1)].to_vec(),
        _ => from.clone(),
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        full.pop();
        rest = &rest[1..];
    }
    full.extend(rest.iter().filter(|s| *s != "self").cloned());
    (0..=full.len()).rev().map(|n| full[..n].to_vec()).find(|m| modules.contains_key(m))
}

fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    files(&root, &root, &mut modules);
    let mut edges = BTreeMap::new();
    for (module, text) in &modules {
        let targets: BTreeSet<Module> = paths(&code(text))
            .iter()
            .filter_map(|p| resolve(module, p, &modules))
            .filter(|t| t != module && !t.is_empty())
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

fn name(module: &Module) -> String {
    module.join("::")
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(v: &'a Module, s: &mut State<'a>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in &s.edges[v] {
            if !s.index.contains_key(w) {
                visit(w, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(name(w));
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut state = State { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), out: Vec::new() };
    for v in edges.keys() {
        if !state.index.contains_key(v) {
            visit(v, &mut state);
        }
    }
    state.out
}

fn stage(module: &Module) -> usize {
    STAGES
        .iter()
        .position(|s| s.contains(&module[0].as_str()))
        .unwrap_or_else(|| panic!("`{}` is in no stage: add it to STAGES here and to ARCHITECTURE.md", module[0]))
}

#[test]
fn no_file_imports_itself_through_others() {
    let found = cycles(&graph());
    assert!(found.is_empty(), "import cycles (move what both need into a file of its own):\n{found:#?}");
}

#[test]
fn no_stage_imports_a_later_one() {
    let edges = graph();
    let upward: Vec<String> = edges
        .iter()
        .flat_map(|(from, to)| to.iter().map(move |t| (from, t)))
        .filter(|(from, to)| stage(to) > stage(from))
        .map(|(from, to)| format!("{} -> {}", name(from), name(to)))
        .collect();
    assert!(upward.is_empty(), "imports against the stage order of ARCHITECTURE.md:\n{upward:#?}");
}

#[test]
fn the_checker_sees_imports() {
    // The rules above pass trivially if no edge is found; these are known to exist.
    let edges = graph();
    let has = |from: &str, to: &str| edges.iter().any(|(f, t)| name(f) == from && t.iter().any(|t| name(t) == to));
    assert!(has("check::expressions", "expr::patterns"));
    assert!(has("target::aws::terraform::iam", "target::aws::terraform::refs"));
    assert!(has("cli::run", "runtime::session"));
    assert!(has("expr::eval", "expr::field"));
    let cyclic: BTreeMap<Module, BTreeSet<Module>> = [
        (vec!["a".to_string()], BTreeSet::from([vec!["b".to_string()]])),
        (vec!["b".to_string()], BTreeSet::from([vec!["a".to_string()]])),
    ]
    .into();
    assert_eq!(cycles(&cyclic), vec![vec!["a".to_string(), "b".to_string()]]);
}

/// Only the front ends print: `cli` and `main` (ARCHITECTURE.md). Every other stage returns
/// data; the runtime's worker threads report through the run's events, `deploy` through its
/// `Report`, and the CLI renders both.
#[test]
fn only_the_front_ends_print() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    files(&root, &root, &mut modules);
    let printing: Vec<String> = modules
        .iter()
        .filter(|(module, _)| !matches!(module[0].as_str(), "cli" | "main"))
        .filter(|(_, text)| {
            let code = code(text);
            ["print!(", "println!(", "eprint!(", "eprintln!(", "dbg!("]
                .iter()
                .any(|m| code.match_indices(m).any(|(i, _)| !code[..i].ends_with(|c: char| is_ident(c))))
        })
        .map(|(module, _)| name(module))
        .collect();
    assert!(printing.is_empty(), "these modules print; return data or report an event instead: {printing:?}");
}
