//! The flagged-record table: its key fields, enrichment names and the viewer's sort field.

use super::rules::record_field;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::expr::ValueType;
use crate::spec::{Spanned, Spec};

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let Some(store) = spec.hot.as_ref().and_then(|h| h.store.as_ref()) else { return };
    key_field(spec, &store.key.partition, "partition", d);
    if let Some(sort) = &store.key.sort {
        key_field(spec, sort, "sort", d);
        if sort.value == store.key.partition.value {
            d.push(
                Diagnostic::error(Code::InvalidKey, sort.span, "the sort key repeats the partition key")
                    .with_label("same field as the partition key")
                    .with_secondary(store.key.partition.span, "partition key")
                    .with_help("choose another field (such as a timestamp) or remove `sort`"),
            );
        }
    }
    let mut seen: Vec<&Spanned<String>> = Vec::new();
    for (name, _) in &store.enrich {
        if let Some(field) = spec.stream.record.iter().find(|f| f.name.value == name.value) {
            d.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    name.span,
                    format!("enrichment `{}` would overwrite a record field", name.value),
                )
                .with_label("same name as a record field")
                .with_secondary(field.name.span, "record field")
                .with_help("give the enrichment another name"),
            );
        }
        if !crate::check::names::is_identifier(&name.value) {
            d.push(
                Diagnostic::error(
                    Code::InvalidName,
                    name.span,
                    format!("`{}` is not a valid enrichment name", name.value),
                )
                .with_label("1–64 of `a-z A-Z 0-9 - _`, starting with a letter")
                .with_help("rename the enrichment"),
            );
        }
        seen.push(name);
    }
    let Some(viewer) = &store.viewer else { return };
    if let Some(sort) = &viewer.sort {
        let field = sort.value.strip_prefix(['-', '+']).unwrap_or(&sort.value);
        let known =
            spec.stream.record.iter().map(|f| f.name.value.as_str()).chain(seen.iter().map(|s| s.value.as_str()));
        if !known.clone().any(|k| k == field) {
            let help = did_you_mean(field, known).map_or_else(
                || "sort by a record field or an enrichment; `-field` sorts descending".to_string(),
                |c| format!("did you mean `{c}`?"),
            );
            d.push(
                Diagnostic::error(
                    Code::UnknownRecordField,
                    sort.span,
                    format!("the viewer sorts by unknown field `{field}`"),
                )
                .with_label("not a record field or enrichment")
                .with_help(help),
            );
        }
    }
    if let Some(public) = viewer.public.as_ref().filter(|p| p.value) {
        d.push(
            Diagnostic::warning(Code::PublicViewer, public.span, "the viewer is public")
                .with_label("anyone with the URL can read the flagged records")
                .with_help("remove `public: true` to require IAM authentication"),
        );
    }
}

fn key_field(spec: &Spec, name: &Spanned<String>, role: &str, d: &mut Vec<Diagnostic>) {
    if !record_field(spec, name, &format!("key.{role}"), d) {
        return;
    }
    let Some(field) = spec.stream.record.iter().find(|f| f.name.value == name.value) else { return };
    if field.ty.value == ValueType::Bool {
        d.push(
            Diagnostic::error(
                Code::InvalidKey,
                name.span,
                format!("`{}` is a bool and cannot be a table key", name.value),
            )
            .with_label("DynamoDB keys are strings or numbers")
            .with_secondary(field.ty.span, "declared here")
            .with_help("key on a string, number or timestamp field"),
        );
    }
    if !field.required {
        d.push(
            Diagnostic::error(
                Code::InvalidKey,
                name.span,
                format!("`{}` is optional and cannot be a table key", name.value),
            )
            .with_label("every stored record needs its key")
            .with_secondary(field.ty.span, "declared optional here")
            .with_help(format!("remove the `?` from `{}`'s type, or key on a required field", name.value)),
        );
    }
}
