//! The generated Lambda handlers (Python), shared by the CloudFormation and Terraform targets.
//! Program code comes from the minijinja templates under `targets/lambda/`; expressions are
//! lowered by `expr::python`, so the handler decides exactly what the local evaluator decides.

use std::fmt::Write as _;
use std::io::Write;

use minijinja::{Environment, context};
use sha2::{Digest, Sha256};

use crate::expr::pyfmt::{self, Py, statement, string};
use crate::expr::python;
use crate::ir::{Pipeline, Rule, RuleKind};

/// CloudFormation's limit for inline `ZipFile` code, in characters.
pub const INLINE_LIMIT: usize = 4096;

/// A handler's code: inline when it fits, else a zip asset beside the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    Inline(String),
    Asset { file: String, zip: Vec<u8> },
}

const TEMPLATES: &[(&str, &str)] = &[
    ("common.py.j2", include_str!("../../../targets/lambda/common.py.j2")),
    ("hot.py.j2", include_str!("../../../targets/lambda/hot.py.j2")),
    ("window.py.j2", include_str!("../../../targets/lambda/window.py.j2")),
    ("viewer.py.j2", include_str!("../../../targets/lambda/viewer.py.j2")),
    ("fanout.py.j2", include_str!("../../../targets/lambda/fanout.py.j2")),
    ("alerts.py.j2", include_str!("../../../targets/lambda/alerts.py.j2")),
];

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    for (name, source) in TEMPLATES {
        // The templates are compiled into the binary; a syntax error is caught by the tests.
        let _ = env.add_template(name, source);
    }
    env
}

fn strings(items: impl IntoIterator<Item = String>) -> Py {
    Py::tuple(items.into_iter().map(|s| Py::atom(string(&s))).collect())
}

fn topics(p: &Pipeline, rule: &Rule) -> Py {
    strings(rule.notify.iter().map(|t| p.topics[t.0].name.clone()))
}

fn render(name: &str, ctx: minijinja::Value) -> Result<String, String> {
    let env = environment();
    let template = env.get_template(name).map_err(|e| e.to_string())?;
    template.render(ctx).map_err(|e| format!("rendering {name}: {e}"))
}

/// The constants every rule handler starts with: the pipeline's name, its topics' ARNs (from
/// the environment) and the record schema.
fn handler_constants(p: &Pipeline) -> String {
    let pipeline = Py::call("os.environ.get", vec![Py::atom("\"PIPELINE\""), Py::atom(string(&p.name))]);
    [
        statement(0, "PIPELINE = ", &pipeline),
        "TOPICS = json.loads(os.environ.get(\"TOPICS\") or \"{}\")\n".to_owned(),
        statement(0, "SCHEMA = ", &python::schema_literal(&p.stream.schema)),
    ]
    .concat()
}

/// `def NAME(r):` returning `body`, with the spec's text as a comment.
fn function(name: &str, comment: &str, body: &Py) -> String {
    format!("def {name}(r):\n    # {}\n{}", pyfmt::comment_text(comment), statement(4, "return ", body))
}

/// `(partition, sort)` of the flagged table, `None` for a part it lacks.
fn table_key(p: &Pipeline) -> Py {
    p.store.as_ref().map_or_else(
        || Py::tuple(vec![Py::atom("None"), Py::atom("None")]),
        |s| {
            Py::tuple(vec![
                Py::atom(string(&s.partition.name)),
                s.sort.as_ref().map_or_else(|| Py::atom("None"), |k| Py::atom(string(&k.name))),
            ])
        },
    )
}

/// `KEY = ` [`table_key`] and `VIEW_KEY = (field, attribute type)` of the viewer's index, or
/// `None`.
fn store_keys(p: &Pipeline) -> String {
    let key = table_key(p);
    let view = crate::ir::viewer_sort(p).map_or_else(
        || Py::atom("None"),
        |(field, attribute, _)| Py::tuple(vec![Py::atom(string(field)), Py::atom(string(attribute))]),
    );
    [statement(0, "KEY = ", &key), statement(0, "VIEW_KEY = ", &view)].concat()
}

/// The hot handler's source: every per-record rule, the enrichments and the store.
pub fn hot_source(p: &Pipeline) -> Result<String, String> {
    let schema = &p.stream.schema;
    let mut functions = Vec::new();
    let mut rules = Vec::new();
    for (i, r) in p.record_rules().enumerate() {
        let name = format!("rule_{}", i + 1);
        functions.push(function(&name, &format!("{}: {}", r.name, r.source), &python::lower(&r.when, schema)));
        rules.push(Py::tuple(vec![
            Py::atom(string(&r.name)),
            Py::atom(string(r.severity.name())),
            topics(p, r),
            Py::atom(string(&r.source)),
            Py::atom(name),
        ]));
    }
    let mut enrich = Vec::new();
    for (i, e) in p.store.iter().flat_map(|s| &s.enrich).enumerate() {
        let name = format!("enrich_{}", i + 1);
        functions.push(function(&name, &format!("{}: {}", e.name, e.source), &python::lower(&e.expr, schema)));
        enrich.push(Py::tuple(vec![Py::atom(string(&e.name)), Py::atom(name)]));
    }
    let constants = [handler_constants(p), store_keys(p)].concat();
    render(
        "hot.py.j2",
        context! {
            pipeline_name => p.name.clone(),
            constants,
            functions => functions.join("\n\n"),
            rules => statement(0, "RULES = ", &Py::expanded(rules)),
            enrich => statement(0, "ENRICH = ", &Py::expanded(enrich)),
        },
    )
}

/// A windowed rule's handler source.
pub fn window_source(p: &Pipeline, rule: &Rule) -> Result<String, String> {
    let RuleKind::Windowed { seconds, group_by, .. } = &rule.kind else {
        return Err(format!("rule {} is not windowed", rule.name));
    };
    let lowered = python::lower_window(&rule.when, &p.stream.schema);
    let rule_tuple = Py::tuple(vec![
        Py::atom(string(&rule.name)),
        Py::atom(string(rule.severity.name())),
        topics(p, rule),
        Py::atom(string(&rule.source)),
    ]);
    // Invalid records are dead-lettered once: by the hot function, or without one by the first
    // window function.
    let reports_invalid =
        p.record_rules().next().is_none() && p.window_rules().next().is_some_and(|r| r.name == rule.name);
    let rule_constants = [
        statement(0, "RULE = ", &rule_tuple),
        format!("REPORTS_INVALID = {}\n", if reports_invalid { "True" } else { "False" }),
        statement(0, "AGGREGATES = ", &lowered.aggregates),
        statement(0, "GROUP_BY = ", &strings(group_by.iter().cloned())),
        format!(
            "# stream.timezone in seconds east of UTC: how zoneless timestamps are read.\nTIMEZONE = {}\n",
            p.stream.schema.timezone
        ),
    ]
    .concat();
    render(
        "window.py.j2",
        context! {
            pipeline_name => p.name.clone(),
            rule => rule.name.clone(),
            seconds,
            constants => handler_constants(p),
            rule_constants,
            when => pyfmt::comment_text(&rule.source),
            condition => statement(4, "return ", &lowered.condition),
        },
    )
}

/// The viewer's source.
pub fn viewer_source(p: &Pipeline) -> Result<String, String> {
    let store = p.store.as_ref().ok_or("no store")?;
    let viewer = store.viewer.as_ref().ok_or("no viewer")?;
    let columns = strings(
        p.stream.schema.fields.iter().map(|f| f.name.clone()).chain(store.enrich.iter().map(|e| e.name.clone())),
    );
    let sort = viewer.sort.as_ref().map_or_else(
        || Py::atom("None"),
        |(field, desc)| Py::tuple(vec![Py::atom(string(field)), Py::atom(if *desc { "True" } else { "False" })]),
    );
    let index = crate::target::aws::index::viewer_sort(p)
        .map_or_else(|| Py::atom("None"), |_| Py::atom(string(crate::target::aws::index::NAME)));
    let constants = [
        statement(0, "TITLE = ", &Py::atom(string(&viewer.title))),
        statement(0, "COLUMNS = ", &columns),
        statement(0, "SORT = ", &sort),
        statement(0, "INDEX = ", &index),
        statement(0, "KEY = ", &table_key(p)),
        statement(0, "VIEW = ", &Py::atom(string(crate::limits::VIEW))),
        format!("# Rows per page unless ?limit= says otherwise, and at most.\nPAGE = {}\n", crate::limits::VIEWER_PAGE),
        format!("MAX_PAGE = {}\n", crate::limits::VIEWER_MAX_PAGE),
        statement(0, "WINDOW_RULES = ", &strings(p.window_rules().map(|r| r.name.clone()))),
    ]
    .concat();
    render("viewer.py.j2", context! { pipeline_name => p.name.clone(), constants })
}

/// The webhook fanout function's source.
pub fn fanout_source(p: &Pipeline) -> Result<String, String> {
    render("fanout.py.j2", context! { pipeline_name => p.name.clone() })
}

/// The fanout function's files (it imports nothing of pipec's).
pub fn fanout_files(p: &Pipeline) -> Result<Files, String> {
    Ok(vec![("index.py", fanout_source(p)?)])
}

/// The alerts function's source (`hot.engine: flink`): every rule by name, the enrichments and
/// the store.
pub fn alerts_source(p: &Pipeline) -> Result<String, String> {
    let schema = &p.stream.schema;
    let mut functions = Vec::new();
    let mut enrich = Vec::new();
    for (i, e) in p.store.iter().flat_map(|s| &s.enrich).enumerate() {
        let name = format!("enrich_{}", i + 1);
        functions.push(function(&name, &format!("{}: {}", e.name, e.source), &python::lower(&e.expr, schema)));
        enrich.push(Py::tuple(vec![Py::atom(string(&e.name)), Py::atom(name)]));
    }
    let rules: Vec<String> = p
        .rules
        .iter()
        .map(|r| {
            let group_by = match &r.kind {
                RuleKind::Windowed { group_by, .. } => group_by.clone(),
                RuleKind::PerRecord => Vec::new(),
            };
            let value = Py::tuple(vec![
                Py::atom(string(r.severity.name())),
                topics(p, r),
                Py::atom(string(&r.source)),
                strings(group_by),
            ]);
            statement(4, &format!("{}: ", string(&r.name)), &value).trim_end().to_owned() + ","
        })
        .collect();
    let rules =
        if rules.is_empty() { "RULES = {}\n".to_owned() } else { format!("RULES = {{\n{}\n}}\n", rules.join("\n")) };
    let constants = [handler_constants(p), store_keys(p)].concat();
    render(
        "alerts.py.j2",
        context! {
            pipeline_name => p.name.clone(),
            constants,
            // Each block ends in a newline; two blank lines follow the last one.
            functions => if functions.is_empty() { String::new() } else { functions.join("\n\n") + "\n\n" },
            rules,
            enrich => statement(0, "ENRICH = ", &Py::expanded(enrich)),
        },
    )
}

/// The alerts function's files: `index.py` and the runtime modules it imports.
pub fn alerts_files(p: &Pipeline) -> Result<Files, String> {
    Ok(vec![
        ("index.py", alerts_source(p)?),
        (LIMITS_FILE, LIMITS.to_owned()),
        (RUNTIME_FILE, python::RUNTIME.to_owned()),
    ])
}

pub fn alerts(p: &Pipeline) -> Result<Code, String> {
    package("alerts", &alerts_files(p)?)
}

/// The runtime module's file name beside `index.py`.
pub const RUNTIME_FILE: &str = "pipec_runtime.py";

/// The files of one function's code, `index.py` first.
pub type Files = Vec<(&'static str, String)>;

/// The limits module's file name beside `index.py` (AWS's limits and the alert format, see
/// `crate::limits` and `crate::alert`).
pub const LIMITS_FILE: &str = "pipec_limits.py";
const LIMITS: &str = include_str!("../../../targets/lambda/pipec_limits.py");

/// The hot handler's files: `index.py` and the runtime modules it imports.
pub fn hot_files(p: &Pipeline) -> Result<Files, String> {
    Ok(vec![("index.py", hot_source(p)?), (LIMITS_FILE, LIMITS.to_owned()), (RUNTIME_FILE, python::RUNTIME.to_owned())])
}

/// A windowed rule's handler files: `index.py` and the runtime modules it imports.
pub fn window_files(p: &Pipeline, rule: &Rule) -> Result<Files, String> {
    Ok(vec![
        ("index.py", window_source(p, rule)?),
        (LIMITS_FILE, LIMITS.to_owned()),
        (RUNTIME_FILE, python::RUNTIME.to_owned()),
    ])
}

/// The viewer's files (it imports nothing of pipec's).
pub fn viewer_files(p: &Pipeline) -> Result<Files, String> {
    Ok(vec![("index.py", viewer_source(p)?)])
}

/// Whether the code can be inline in a template (`ZipFile`): one file of at most
/// [`INLINE_LIMIT`] characters.
#[must_use]
pub fn fits_inline(files: &[(&str, String)]) -> bool {
    matches!(files, [(_, source)] if source.chars().count() <= INLINE_LIMIT)
}

/// The files of one generated function's code.
pub fn files(p: &Pipeline, function: crate::target::aws::function::Function<'_>) -> Result<Files, String> {
    use crate::target::aws::function::Function;
    match function {
        Function::Hot => hot_files(p),
        Function::Window { rule, .. } => window_files(p, rule),
        Function::Viewer => viewer_files(p),
        Function::Fanout => fanout_files(p),
        Function::Alerts => alerts_files(p),
    }
}

/// Inline when the code fits ([`fits_inline`]), else a deterministic zip named by its
/// content hash.
pub fn package(function: &str, files: &[(&str, String)]) -> Result<Code, String> {
    if let [(_, source)] = files
        && fits_inline(files)
    {
        return Ok(Code::Inline(source.clone()));
    }
    let zip = zip_files(files).map_err(|e| format!("zipping {function}: {e}"))?;
    let digest = Sha256::digest(&zip);
    let hash: String = digest.iter().take(6).fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Ok(Code::Asset { file: format!("{function}-{hash}.zip"), zip })
}

/// The files in a zip with fixed timestamps and permissions, so the bytes are reproducible.
pub fn zip_files(files: &[(&str, String)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, source) in files {
        writer.start_file(*name, options)?;
        writer.write_all(source.as_bytes())?;
    }
    Ok(writer.finish()?.into_inner())
}

pub fn hot(p: &Pipeline) -> Result<Code, String> {
    package("hot", &hot_files(p)?)
}

pub fn window(p: &Pipeline, rule: &Rule) -> Result<Code, String> {
    let index = p.window_rules().position(|r| r.name == rule.name).unwrap_or(0) + 1;
    package(&format!("window-{index}"), &window_files(p, rule)?)
}

pub fn viewer(p: &Pipeline) -> Result<Code, String> {
    package("viewer", &viewer_files(p)?)
}

pub fn fanout(p: &Pipeline) -> Result<Code, String> {
    package("fanout", &fanout_files(p)?)
}
