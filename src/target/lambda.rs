//! The generated Lambda handlers (Python), shared by the CloudFormation and Terraform targets.
//! Program code comes from the minijinja templates under `targets/lambda/`; expressions are
//! lowered by `expr::python`, so the handler decides exactly what the local evaluator decides.

use std::fmt::Write as _;
use std::io::Write;

use minijinja::{Environment, context};
use sha2::{Digest, Sha256};

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
    ("common.py.j2", include_str!("../../targets/lambda/common.py.j2")),
    ("hot.py.j2", include_str!("../../targets/lambda/hot.py.j2")),
    ("window.py.j2", include_str!("../../targets/lambda/window.py.j2")),
    ("viewer.py.j2", include_str!("../../targets/lambda/viewer.py.j2")),
    ("fanout.py.j2", include_str!("../../targets/lambda/fanout.py.j2")),
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

/// A Python string literal (JSON string syntax is valid Python).
fn lit(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn tuple(items: &[String]) -> String {
    format!("({}{})", items.join(", "), if items.len() == 1 { "," } else { "" })
}

fn topics(p: &Pipeline, rule: &Rule) -> String {
    tuple(&rule.notify.iter().map(|t| lit(&p.topics[t.0].name)).collect::<Vec<_>>())
}

fn render(name: &str, ctx: minijinja::Value) -> Result<String, String> {
    let env = environment();
    let template = env.get_template(name).map_err(|e| e.to_string())?;
    template.render(ctx).map_err(|e| format!("rendering {name}: {e}"))
}

/// The hot handler's source: every per-record rule, the enrichments and the store.
pub fn hot_source(p: &Pipeline) -> Result<String, String> {
    let schema = &p.stream.schema;
    let rules: Vec<minijinja::Value> = p
        .record_rules()
        .map(|r| {
            context! {
                name => lit(&r.name),
                severity => lit(r.severity.name()),
                topics => topics(p, r),
                condition => python::lower(&r.when, schema),
            }
        })
        .collect();
    let store = p.store.as_ref();
    let enrich: Vec<minijinja::Value> = store
        .iter()
        .flat_map(|s| &s.enrich)
        .map(|e| context! { name => lit(&e.name), expr => python::lower(&e.expr, schema) })
        .collect();
    let key = store.map_or_else(
        || "(None, None)".to_string(),
        |s| {
            format!(
                "({}, {})",
                lit(&s.partition.name),
                s.sort.as_ref().map_or_else(|| "None".to_string(), |k| lit(&k.name))
            )
        },
    );
    render(
        "hot.py.j2",
        context! {
            pipeline => lit(&p.name),
            pipeline_name => p.name.clone(),
            runtime => python::RUNTIME.trim_end(),
            schema => python::schema_literal(schema),
            rules, enrich, key,
        },
    )
}

/// A windowed rule's handler source.
pub fn window_source(p: &Pipeline, rule: &Rule) -> Result<String, String> {
    let RuleKind::Windowed { seconds, group_by } = &rule.kind else {
        return Err(format!("rule {} is not windowed", rule.name));
    };
    let lowered = python::lower_window(&rule.when, &p.stream.schema);
    render(
        "window.py.j2",
        context! {
            pipeline => lit(&p.name),
            pipeline_name => p.name.clone(),
            rule => rule.name.clone(),
            rule_lit => lit(&rule.name),
            seconds,
            severity => lit(rule.severity.name()),
            topics => topics(p, rule),
            runtime => python::RUNTIME.trim_end(),
            schema => python::schema_literal(&p.stream.schema),
            aggregates => lowered.aggregates,
            group_by => tuple(&group_by.iter().map(|g| lit(g)).collect::<Vec<_>>()),
            condition => lowered.condition,
        },
    )
}

/// The viewer's source.
pub fn viewer_source(p: &Pipeline) -> Result<String, String> {
    let store = p.store.as_ref().ok_or("no store")?;
    let viewer = store.viewer.as_ref().ok_or("no viewer")?;
    let columns: Vec<String> =
        p.stream.schema.fields.iter().map(|f| lit(&f.name)).chain(store.enrich.iter().map(|e| lit(&e.name))).collect();
    let sort = viewer.sort.as_ref().map_or_else(
        || "None".to_string(),
        |(field, desc)| format!("({}, {})", lit(field), if *desc { "True" } else { "False" }),
    );
    render(
        "viewer.py.j2",
        context! { pipeline => lit(&p.name),
        pipeline_name => p.name.clone(), title => lit(&viewer.title), columns => tuple(&columns), sort },
    )
}

/// The webhook fanout function's source.
pub fn fanout_source(p: &Pipeline) -> Result<String, String> {
    render("fanout.py.j2", context! { pipeline_name => p.name.clone() })
}

/// Inline when within the limit, else a deterministic zip named by its content hash.
pub fn package(function: &str, source: String) -> Result<Code, String> {
    if source.chars().count() <= INLINE_LIMIT {
        return Ok(Code::Inline(source));
    }
    let zip = zip_source(&source).map_err(|e| format!("zipping {function}: {e}"))?;
    let digest = Sha256::digest(&zip);
    let hash: String = digest.iter().take(6).fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Ok(Code::Asset { file: format!("{function}-{hash}.zip"), zip })
}

/// `index.py` in a zip with fixed timestamps and permissions, so the bytes are reproducible.
pub fn zip_source(source: &str) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    writer.start_file("index.py", options)?;
    writer.write_all(source.as_bytes())?;
    Ok(writer.finish()?.into_inner())
}

pub fn hot(p: &Pipeline) -> Result<Code, String> {
    package("hot", hot_source(p)?)
}

pub fn window(p: &Pipeline, rule: &Rule) -> Result<Code, String> {
    let index = p.window_rules().position(|r| r.name == rule.name).unwrap_or(0) + 1;
    package(&format!("window-{index}"), window_source(p, rule)?)
}

pub fn viewer(p: &Pipeline) -> Result<Code, String> {
    package("viewer", viewer_source(p)?)
}

pub fn fanout(p: &Pipeline) -> Result<Code, String> {
    package("fanout", fanout_source(p)?)
}
