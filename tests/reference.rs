//! `specs/reference.md` documents every spec key with the default and range that
//! `src/spec/keys.rs` defines, and no key that does not exist. The key tables are those whose
//! header is `| key | meaning | default | allowed |`; each row's key is its full path.

use std::collections::BTreeMap;

use pipec::spec::keys::{ALL, Key};

const REFERENCE: &str = "specs/reference.md";
const HEADER: &str = "| key | meaning | default | allowed |";

/// A documented key: its default and allowed cells, and the heading it is under.
struct Row {
    default: String,
    allowed: String,
    heading: String,
}

fn documented(text: &str) -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    let mut heading = String::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with('#') {
            heading = line.to_string();
        }
        if line == HEADER {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if !in_table || line.starts_with("|---") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 4, "{REFERENCE}: a key table row needs 4 cells: {line}");
        let key = cells[0].trim_matches('`').to_string();
        let row = Row { default: cells[2].to_string(), allowed: cells[3].to_string(), heading: heading.clone() };
        assert!(rows.insert(key.clone(), row).is_none(), "{REFERENCE} documents `{key}` twice");
    }
    rows
}

fn allowed(key: &Key) -> String {
    key.range.map_or_else(|| "—".to_string(), |r| r.to_string())
}

/// The heading a new key's row belongs under: its parent's, else its top-level section's.
fn heading_for(key: &Key, rows: &BTreeMap<String, Row>) -> String {
    let parent = key.parent;
    let sibling = rows.iter().find(|(path, _)| path.rsplit_once('.').is_some_and(|(p, _)| p == parent));
    match sibling {
        Some((_, row)) => row.heading.clone(),
        None if parent.is_empty() => "## Top level".to_string(),
        None => format!("## `{}`", parent.split(['.', '[']).next().unwrap_or(parent)),
    }
}

#[test]
fn reference_documents_every_key_with_its_default_and_range() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE);
    let text = std::fs::read_to_string(&path).expect("specs/reference.md is readable");
    let rows = documented(&text);
    assert!(rows.len() > 10, "{REFERENCE}: no key tables found (header `{HEADER}`)");
    let mut problems = Vec::new();
    for key in ALL {
        let path = key.path();
        let (default, range) = (key.default.to_string(), allowed(key));
        match rows.get(&path) {
            None => problems.push(format!(
                "{REFERENCE} does not document `{path}`: add this row to the key table under the heading {} \
                 (write what it means in the second cell):\n| `{path}` | … | {default} | {range} |",
                heading_for(key, &rows)
            )),
            Some(row) => {
                if row.default != default {
                    problems.push(format!(
                        "{REFERENCE} gives `{path}` the default {}, src/spec/keys.rs gives {default}: write \
                         {default} in its default cell (or change the key's default in src/spec/keys.rs, which \
                         decode, check, lower and the schema all read)",
                        row.default
                    ));
                }
                if row.allowed != range {
                    problems.push(format!(
                        "{REFERENCE} gives `{path}` the range `{}`, src/spec/keys.rs gives `{range}`: write \
                         `{range}` in its allowed cell (or change the key's range in src/spec/keys.rs)",
                        row.allowed
                    ));
                }
            }
        }
    }
    let defined: Vec<String> = ALL.iter().map(Key::path).collect();
    for path in rows.keys().filter(|p| !defined.contains(p)) {
        problems.push(format!(
            "{REFERENCE} documents `{path}`, which src/spec/keys.rs does not define: add a `Key` for it to \
             src/spec/keys.rs (a constant and an entry in `ALL`) and read it in src/spec/decode.rs, or remove the row"
        ));
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
}
