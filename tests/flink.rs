//! The `flink` engine's Flink SQL (`pipec build --target flink`): one snapshot per spec of
//! `tests/fixtures/flink/*.yaml`, for the Kinesis connector.

use std::path::Path;

use pipec::frontend;
use pipec::ir::{self, Pipeline};
use pipec::source::Source;
use pipec::target::flink::{kinesis_placeholders, script};

mod common;
use common::vars;

fn pipeline(path: &Path) -> Pipeline {
    let text = std::fs::read_to_string(path).unwrap();
    let checked = frontend::check_source(Source::new(path.display().to_string(), text), None, &vars);
    assert!(!checked.has_errors(), "{}: {:?}", path.display(), checked.diagnostics);
    ir::lower(checked.spec.as_ref().unwrap()).unwrap()
}

#[test]
fn sql_scripts() {
    insta::glob!("fixtures/flink", "*.yaml", |path| {
        let sql = script(&pipeline(path), &kinesis_placeholders()).unwrap();
        insta::assert_snapshot!(sql);
    });
}
