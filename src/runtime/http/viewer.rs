//! The viewer: `GET /` (one self-contained page: inline CSS and JS, no network but this
//! server), `GET /events` (Server-Sent Events), `GET /api/flagged`, `GET /api/alerts`.
//!
//! Values are user data: the server escapes the only text it puts into HTML (the title) and
//! embeds the page's configuration as JSON with `<`, `>` and `&` escaped; the page's script
//! writes every value with `textContent`, never as HTML. A Content-Security-Policy allows
//! only the page's own inline script and style (by hash) and requests to this server.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value as Json, json};
use sha2::Digest as _;
use tokio::sync::watch;
use tokio::time::Instant;

use super::App;
use crate::ir::Pipeline;
use crate::runtime::{Change, Handle, Snapshot};

const TEMPLATE: &str = include_str!("viewer.html");
pub(super) const STYLE: &str = include_str!("viewer.css");
const SCRIPT: &str = include_str!("viewer.js");

/// Rows per page by default, and at most (the viewer function's too).
const DEFAULT_LIMIT: usize = crate::limits::VIEWER_PAGE;
const MAX_LIMIT: usize = crate::limits::VIEWER_MAX_PAGE;
/// At most this many `change` events per second per client (commits coalesce in between).
const CHANGE_EVERY: Duration = Duration::from_millis(250);
const METRICS_EVERY: Duration = Duration::from_secs(1);

/// The rendered page and its security policy.
pub struct Page {
    html: String,
    policy: String,
}

impl Page {
    #[must_use]
    pub fn new(pipeline: &Pipeline) -> Self {
        let store = pipeline.store.as_ref();
        let viewer = store.and_then(|s| s.viewer.as_ref());
        let title = viewer.map_or_else(|| format!("{} — flagged records", pipeline.name), |v| v.title.clone());
        let mut columns: Vec<&str> = Vec::new();
        if let Some(s) = store {
            columns.push(&s.partition.name);
            columns.extend(s.sort.as_ref().map(|k| k.name.as_str()));
        }
        // The page shows the key columns, then the rules and severity, then the rest.
        let keys = columns.len();
        for field in &pipeline.stream.schema.fields {
            if !columns.contains(&field.name.as_str()) {
                columns.push(&field.name);
            }
        }
        columns.extend(store.iter().flat_map(|s| s.enrich.iter().map(|e| e.name.as_str())));
        let sort =
            viewer.and_then(|v| v.sort.as_ref()).map(|(field, desc)| json!({ "field": field, "descending": desc }));
        let config = json!({
            "title": title,
            "pipeline": pipeline.name,
            "stream": pipeline.stream.name,
            "columns": columns,
            "keys": keys,
            "archiveSeconds": pipeline.archive.as_ref().map(|a| a.interval_seconds),
            "sort": sort,
            "store": store.is_some(),
            "windowed": pipeline.rules.iter().any(crate::ir::Rule::is_windowed),
            "pageSize": DEFAULT_LIMIT,
        });
        let (title, config) = (escape_html(&title), script_json(&config));
        let html = fill(TEMPLATE, |name| match name {
            "title" => &title,
            "style" => STYLE,
            "script" => SCRIPT,
            "config" => &config,
            _ => "",
        });
        let policy = format!(
            "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; img-src 'self' data:; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            hash(SCRIPT),
            hash(STYLE)
        );
        Self { html, policy }
    }
}

/// Replaces each `{{name}}` in one pass (so a value is never searched for placeholders).
fn fill<'a>(template: &str, value: impl Fn(&str) -> &'a str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else { break };
        out.push_str(&rest[..start]);
        out.push_str(value(&rest[start + 2..start + len]));
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

pub(super) fn hash(text: &str) -> String {
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes())))
}

/// Escapes text for HTML content and attribute values.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside `<script type="application/json">`.
fn script_json(value: &Json) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// `GET /`.
pub(super) async fn page(State(app): State<App>) -> Response {
    let mut response = Html(app.page.html.clone()).into_response();
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&app.page.policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": message }))).into_response()
}

fn number(query: &HashMap<String, String>, name: &str, default: usize, max: usize) -> Result<usize, Response> {
    match query.get(name) {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(bad_request(&format!("`{name}` must be a whole number from 0 to {max}, not `{text}`"))),
        },
    }
}

/// Runs a store query on a blocking thread.
async fn read<T: Send + 'static>(
    handle: &Arc<Handle>,
    query: impl FnOnce(&crate::runtime::StoreReader) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let handle = handle.clone();
    match tokio::task::spawn_blocking(move || handle.store().and_then(|s| query(&s))).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            Err((StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "error": e.to_string() }))).into_response())
        }
        Err(e) => {
            Err((StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "error": e.to_string() }))).into_response())
        }
    }
}

/// `GET /api/flagged?limit=&offset=`: `{total, limit, offset, sort, rows: [{seq, item, rules, severity}]}`.
pub(super) async fn flagged(State(app): State<App>, Query(query): Query<HashMap<String, String>>) -> Response {
    let (limit, offset) =
        match (number(&query, "limit", DEFAULT_LIMIT, MAX_LIMIT), number(&query, "offset", 0, usize::MAX)) {
            (Ok(l), Ok(o)) => (l, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
    let rows = read(&app.handle, move |s| Ok((s.count()?, s.flagged(limit, offset)?))).await;
    let (total, rows) = match rows {
        Ok(v) => v,
        Err(e) => return e,
    };
    let sort = app
        .handle
        .pipeline()
        .store
        .as_ref()
        .and_then(|s| s.viewer.as_ref())
        .and_then(|v| v.sort.as_ref())
        .map(|(field, desc)| json!({ "field": field, "descending": desc }));
    axum::Json(json!({ "total": total, "limit": limit, "offset": offset, "sort": sort, "rows": rows })).into_response()
}

/// `GET /api/alerts?limit=`: window alerts, newest first.
pub(super) async fn alerts(State(app): State<App>, Query(query): Query<HashMap<String, String>>) -> Response {
    let limit = match number(&query, "limit", DEFAULT_LIMIT, MAX_LIMIT) {
        Ok(l) => l,
        Err(e) => return e,
    };
    match read(&app.handle, move |s| s.window_alerts(limit)).await {
        Ok(alerts) => axum::Json(json!({ "alerts": alerts })).into_response(),
        Err(e) => e,
    }
}

/// What one `/events` client is fed.
struct Feed {
    handle: Arc<Handle>,
    changes: watch::Receiver<Change>,
    stopping: watch::Receiver<bool>,
    tick: tokio::time::Interval,
    last_change: Instant,
    last_metrics: Option<Snapshot>,
}

impl Feed {
    async fn next(&mut self) -> Option<Event> {
        loop {
            tokio::select! {
                () = stopped(&mut self.stopping) => return None,
                changed = self.changes.changed() => {
                    changed.ok()?;
                    tokio::time::sleep_until(self.last_change + CHANGE_EVERY).await;
                    self.last_change = Instant::now();
                    let change = *self.changes.borrow_and_update();
                    return Event::default().event("change").json_data(change).ok();
                }
                _ = self.tick.tick() => {
                    let m = self.handle.metrics();
                    if self.last_metrics.as_ref() != Some(&m) {
                        let event = Event::default().event("metrics").json_data(&m).ok();
                        self.last_metrics = Some(m);
                        return event;
                    }
                }
            }
        }
    }
}

async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}

/// `GET /events`: `change` (a [`Change`]) after store commits, at most four a second, and
/// `metrics` (a [`Snapshot`]) each second while the counters move. Ends when the server stops.
pub(super) async fn events(State(app): State<App>) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let mut changes = app.handle.subscribe();
    changes.mark_unchanged();
    let feed = Feed {
        handle: app.handle.clone(),
        changes,
        stopping: app.stopping.clone(),
        tick: tokio::time::interval(METRICS_EVERY),
        last_change: Instant::now(),
        last_metrics: None,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html(r#"<b a="1">'x' & y</b>"#), "&lt;b a=&quot;1&quot;&gt;&#39;x&#39; &amp; y&lt;/b&gt;");
    }

    #[test]
    fn embedded_json_cannot_close_the_script() {
        let text = script_json(&json!({ "title": "</script><script>alert(1)</script> & more" }));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(back["title"], "</script><script>alert(1)</script> & more");
    }

    #[test]
    fn placeholders_are_filled_once() {
        let out = fill("<h1>{{title}}</h1>{{config}}", |n| if n == "title" { "{{config}}" } else { "C" });
        assert_eq!(out, "<h1>{{config}}</h1>C");
    }

    #[test]
    fn template_has_every_placeholder() {
        for p in ["{{title}}", "{{style}}", "{{script}}", "{{config}}"] {
            assert!(TEMPLATE.contains(p), "{p}");
        }
    }
}
