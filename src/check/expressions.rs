//! Rule conditions and enrichments: parsed, type-checked against the record schema (errors
//! point at the column inside the YAML string), and the hot function's filter patterns held
//! against Lambda's limits.

use crate::diagnostic::{Code, Diagnostic};
use crate::expr::{self, Context, Expr, FieldSchema, RecordSchema};
use crate::spec::{ExprText, Spec};
use crate::target::filters::{MAX_FILTERS, MAX_PATTERN_CHARS};

/// The record schema of a spec, as the expression checker reads it.
#[must_use]
pub fn schema(spec: &Spec) -> RecordSchema {
    RecordSchema::new(
        spec.stream
            .record
            .iter()
            .map(|f| FieldSchema {
                name: f.name.value.clone(),
                ty: f.ty.value,
                required: f.required,
                max_length: f.max_length,
            })
            .collect(),
    )
}

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
    let schema = schema(spec);
    let Some(hot) = &spec.hot else { return };
    let mut patterns = Vec::new();
    let mut filterable = true;
    for rule in &hot.rules {
        let group_by: Vec<String> = rule.group_by.iter().map(|g| g.value.clone()).collect();
        let ctx = if rule.window.is_some() { Context::WindowRule { group_by: &group_by } } else { Context::Rule };
        let Some(parsed) = checked(&rule.when, &schema, ctx, d) else {
            filterable = false;
            continue;
        };
        if rule.window.is_none() {
            match expr::filter::filter_patterns(&parsed, &schema) {
                Some(found) => patterns.extend(found.into_iter().map(|p| (p.to_string(), rule))),
                None => filterable = false,
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
    let mut texts: Vec<&str> = patterns.iter().map(|(t, _)| t.as_str()).collect();
    texts.sort_unstable();
    texts.dedup();
    let too_long = patterns.iter().find(|(t, _)| t.chars().count() > MAX_PATTERN_CHARS);
    if let Some((text, rule)) = too_long {
        d.push(
            Diagnostic::warning(Code::FilterLimit, rule.when.span, "this rule's Lambda filter pattern is too long")
                .with_label(format!("{} characters; Lambda allows {MAX_PATTERN_CHARS} per pattern", text.chars().count()))
                .with_help("pipec will emit no filter: the hot function evaluates every record itself (correct, but every record costs an invocation)"),
        );
    } else if texts.len() > MAX_FILTERS {
        let (_, last) = patterns.last().map_or((String::new(), &hot.rules[0]), |(t, r)| (t.clone(), *r));
        d.push(
            Diagnostic::warning(Code::FilterLimit, last.when.span, format!("the rules need {} Lambda filters; a mapping holds {MAX_FILTERS}", texts.len()))
                .with_label("the filter count goes over the limit here")
                .with_help("pipec will emit no filter: the hot function evaluates every record itself (correct, but every record costs an invocation); combine rules to stay within 5 filters"),
        );
    }
}
