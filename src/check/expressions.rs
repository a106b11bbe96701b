//! Rule conditions and enrichments: parsed, type-checked against the record schema (errors
//! point at the column inside the YAML string), and the hot function's filter patterns held
//! against Lambda's limits.

use crate::diagnostic::{Code, Diagnostic};
use crate::expr::patterns::{MAX_PATTERNS, union};
use crate::expr::{self, Context, Expr, RecordSchema};
use crate::spec::{ExprText, Spec};

fn checked(text: &ExprText, schema: &RecordSchema, ctx: Context, d: &mut Vec<Diagnostic>) -> Option<Expr> {
    let place = |diagnostic: Diagnostic| diagnostic.shifted(|span| text.file_span(span));
    let parsed = match expr::parse(&text.text) {
        Ok(parsed) => parsed,
        Err(diagnostic) => {
            d.push(place(diagnostic));
            return None;
        }
    };
    let (_, found) = expr::check(&parsed, schema, ctx);
    let clean = found.iter().all(|x| !x.is_error());
    d.extend(found.into_iter().map(place));
    clean.then_some(parsed)
}

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let schema = spec.stream.record_schema();
    let Some(hot) = &spec.hot else { return };
    let mut patterns = Vec::new();
    let mut filterable = true;
    let flink = super::engine::engine_of(hot) == Some(super::engine::EngineName::Flink);
    for rule in &hot.rules {
        let group_by: Vec<String> = rule.group_by.iter().map(|g| g.value.clone()).collect();
        let ctx = if rule.window.is_some() { Context::WindowRule { group_by: &group_by } } else { Context::Rule };
        let Some(parsed) = checked(&rule.when, &schema, ctx, d) else {
            filterable = false;
            continue;
        };
        if flink {
            super::engine::flink_sql(&parsed, &schema, &rule.when, d);
            continue;
        }
        if rule.window.is_none() {
            if let Some(found) = expr::filter::filter_patterns(&parsed, &schema) {
                patterns.extend(found.into_iter().map(|p| (p, rule)));
            } else {
                filterable = false;
                d.push(
                    Diagnostic::warning(
                        Code::FilterLimit,
                        rule.when.span,
                        format!("rule `{}` cannot be narrowed by a Lambda filter", rule.name.value),
                    )
                    .with_label("no field must be present for this condition to be true")
                    .with_help("pipec will emit no filter: the hot function evaluates every record itself (correct, but every record costs an invocation); a condition that needs a field, e.g. `x IS NOT NULL AND ...`, can be filtered"),
                );
            }
        }
    }
    if let Some(store) = &hot.store {
        for (_, text) in &store.enrich {
            checked(text, &schema, Context::Enrichment, d);
        }
    }
    if !filterable {
        return;
    }
    let texts = union(patterns.iter().map(|(p, _)| p.clone()));
    // `filter_patterns` already refuses a single rule beyond the limits (no filter then), so
    // what is left to warn about is a union of rules that is too large.
    if texts.len() > MAX_PATTERNS {
        let last = patterns.last().map_or(&hot.rules[0], |(_, rule)| *rule);
        d.push(
            Diagnostic::warning(Code::FilterLimit, last.when.span, format!("the rules need {} Lambda filters; a mapping holds {MAX_PATTERNS}", texts.len()))
                .with_label("the filter count goes over the limit here")
                .with_help("pipec will emit no filter: the hot function evaluates every record itself (correct, but every record costs an invocation); combine rules to stay within 5 filters"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Code;
    use crate::frontend::check_source;
    use crate::source::Source;

    fn filter_warnings(rules: &[String]) -> Vec<String> {
        let mut text = String::from("version: 1\nname: f\nstream:\n  record: { a: int, b: string }\nhot:\n  rules:\n");
        for (i, when) in rules.iter().enumerate() {
            text.push_str(&format!("    - name: r{i}\n      when: \"{when}\"\n"));
        }
        let checked = check_source(Source::new("f.yaml", text), None, &|_| None);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        checked.diagnostics.iter().filter(|d| d.code == Code::FilterLimit).map(|d| d.message.clone()).collect()
    }

    #[test]
    fn warns_when_the_rules_exceed_lambda_filter_limits() {
        let five: Vec<String> = (0..5).map(|i| format!("a = {i}")).collect();
        assert!(filter_warnings(&five).is_empty(), "5 filters fit");
        let same: Vec<String> = (0..8).map(|_| "a > 9000".to_string()).collect();
        assert!(filter_warnings(&same).is_empty(), "identical patterns count once");
        let six: Vec<String> = (0..6).map(|i| format!("a = {i} AND b = 'x{i}'")).collect();
        assert_eq!(filter_warnings(&six), ["the rules need 6 Lambda filters; a mapping holds 5"]);
        assert_eq!(
            filter_warnings(&["a > 1".to_owned(), "b IS NULL OR a > 2".to_owned()]),
            ["rule `r1` cannot be narrowed by a Lambda filter"]
        );
    }
}
