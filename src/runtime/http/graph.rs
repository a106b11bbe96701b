//! `GET /graph`: the pipeline's diagram on a page of its own (the SVG of `pipec graph`, which
//! the CLI hands over in [`Config::graph_svg`](crate::runtime::Config)). The SVG is pipec's
//! own output with every user text XML-escaped and no script or style element; the page uses
//! the viewer's stylesheet under the same Content-Security-Policy (no scripts at all).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::App;
use super::viewer::{STYLE, escape_html, hash};

pub(super) async fn page(State(app): State<App>) -> Response {
    let Some(svg) = app.handle.config().graph_svg.as_deref() else {
        return (StatusCode::NOT_FOUND, "no diagram: `pipec run` draws one (this engine was started without it)\n")
            .into_response();
    };
    let title = escape_html(&format!("{} — graph", app.handle.pipeline().name));
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<header><div class=\"heading\"><h1>{title}</h1></div>\
         <a href=\"/\">flagged records</a></header>\n<main class=\"graph\">\n{svg}</main>\n</body>\n</html>\n"
    );
    let policy = format!(
        "default-src 'none'; style-src '{}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
        hash(STYLE)
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
