//! `pipec view`: the viewer is a Lambda function URL with `AWS_IAM` auth, which a browser cannot
//! sign for. A local proxy on 127.0.0.1 signs each request (SigV4, service `lambda`) with the
//! caller's credentials and forwards it; the browser opens the proxy.
//!
//! Only the browser that opened the printed URL gets in: the URL carries a one-time token that
//! becomes an `HttpOnly`, `SameSite=Strict` cookie, and requests for any other `Host` than the
//! proxy's own are refused (so a web page cannot reach it through DNS rebinding).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::Error;
use super::sign::{Signer, Unsigned};
use super::{Connection, Report, aws, stack};

/// Largest request or response body forwarded (a function URL's payload limit is 6 MB).
const BODY_LIMIT: usize = 7 * 1024 * 1024;
const UPSTREAM_TIMEOUT: Duration = Duration::from_mins(1);
const COOKIE: &str = "pipec_view";
const TOKEN_PARAM: &str = "pipec_token";
/// Request headers not forwarded: hop-by-hop ones, the proxy's own cookie and `Host` (the
/// upstream's is set, and signed).
const DROPPED: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "cookie",
    "content-length",
    "authorization",
];

/// What to view: a stack's viewer, or any function URL.
pub enum Viewed<'a> {
    Stack(&'a str),
    Url(&'a str),
}

pub(crate) struct Upstream {
    /// `https://host` (no trailing slash).
    origin: String,
    /// `host[:port]` as signed.
    authority: String,
}

struct Proxy {
    upstream: Upstream,
    signer: Signer,
    token: String,
    port: u16,
    agent: ureq::Agent,
    report: Arc<dyn Report>,
}

pub(crate) async fn view(c: &Connection, viewed: &Viewed<'_>, port: u16, open: bool) -> Result<(), Error> {
    let aws = aws::connect(c).await?;
    let url = match viewed {
        Viewed::Url(url) => (*url).to_string(),
        Viewed::Stack(name) => viewer_url(&aws, name).await?,
    };
    let upstream = parse(&url)?;
    let region = lambda_region(&upstream.authority).unwrap_or(&aws.region).to_string();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Error::config(format!("cannot listen on 127.0.0.1:{port}: {e}\nhelp: pass another --port")))?;
    let port = listener.local_addr().map_err(|e| Error::failed(format!("cannot read the proxy's port: {e}")))?.port();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(UPSTREAM_TIMEOUT))
        .build()
        .into();
    let proxy = Arc::new(Proxy {
        signer: Signer { credentials: aws.credentials.clone(), region: region.clone() },
        token: token()?,
        port,
        agent,
        upstream,
        report: Arc::clone(&aws.report),
    });
    let local = format!("http://127.0.0.1:{port}/?{TOKEN_PARAM}={}", proxy.token);
    aws.report.progress(&format!(
        "viewing {url} through a local proxy that signs requests with your AWS credentials (SigV4, lambda, \
         {region}); Ctrl-C stops it"
    ));
    aws.report.result(&format!("{local}\n"));
    if open {
        open_browser(aws.report.as_ref(), &local);
    }
    let app = axum::Router::new().fallback(handle).with_state(proxy);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| Error::failed(format!("the proxy stopped: {e}")))?;
    aws.report.progress("proxy stopped");
    Ok(())
}

/// The stack's `ViewerUrl` output.
async fn viewer_url(aws: &aws::Aws, name: &str) -> Result<String, Error> {
    let info = stack::existing(aws, name).await?;
    info.outputs.iter().find(|o| o.key == "ViewerUrl").map(|o| o.value.clone()).ok_or_else(|| {
        Error::failed(format!(
            "stack {name} has no ViewerUrl output: its spec has no viewer (hot.store.viewer), or the stack is still \
             being created ({})\nhelp: `pipec status --stack {name}` shows its outputs",
            info.status
        ))
    })
}

/// Splits a function URL into origin and authority.
pub(crate) fn parse(url: &str) -> Result<Upstream, Error> {
    let bad =
        || Error::config(format!("`{url}` is not an http(s) URL such as https://abc.lambda-url.eu-west-1.on.aws/"));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if !matches!(scheme, "http" | "https") {
        return Err(bad());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    Ok(Upstream { origin: format!("{scheme}://{authority}"), authority: authority.to_string() })
}

/// `abc.lambda-url.eu-west-1.on.aws` → `eu-west-1`: a function URL is signed for its own region.
pub(crate) fn lambda_region(authority: &str) -> Option<&str> {
    let host = authority.split(':').next()?;
    let rest = host.split_once(".lambda-url.")?.1;
    rest.strip_suffix(".on.aws").filter(|r| !r.is_empty() && !r.contains('.'))
}

fn token() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::failed(format!("no randomness for the proxy's token: {e}")))?;
    Ok(bytes.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

fn open_browser(report: &dyn Report, url: &str) {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    if let Err(e) = std::process::Command::new(program).args(args).spawn() {
        report.warning(&format!("warning: could not start a browser ({program}: {e}); open the URL above yourself"));
    }
}

fn text(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{message}\n")).into_response()
}

async fn handle(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if host != format!("127.0.0.1:{}", proxy.port) && host != format!("localhost:{}", proxy.port) {
        return text(StatusCode::FORBIDDEN, "pipec view answers only requests addressed to itself (127.0.0.1)");
    }
    let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    if let Some(rest) = with_token(&path_and_query, &proxy.token) {
        let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", proxy.token);
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, rest)
            .header(header::SET_COOKIE, cookie)
            .body(Body::empty())
            .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the redirect"));
    }
    if !has_cookie(request.headers(), &proxy.token) {
        return text(StatusCode::FORBIDDEN, "open the URL that `pipec view` printed (it carries the access token)");
    }
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let mut forwarded: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(name, _)| !DROPPED.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let Ok(body) = axum::body::to_bytes(request.into_body(), BODY_LIMIT).await else {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "request body over the function URL's 6 MB limit");
    };
    let url = format!("{}{path_and_query}", proxy.upstream.origin);
    // Only Host and Content-Type are signed: the other headers pass through unsigned, as
    // SigV4 allows, so nothing the HTTP client adjusts can break the signature.
    let mut signed = vec![("host".to_string(), proxy.upstream.authority.clone())];
    if let Some((_, v)) = forwarded.iter().find(|(k, _)| k == "content-type") {
        signed.push(("content-type".to_string(), v.clone()));
    }
    let unsigned = Unsigned { method: &method, url: &url, headers: &signed, body: &body };
    let signature = match proxy.signer.sign("lambda", &unsigned, SystemTime::now()).await {
        Ok(headers) => headers,
        Err(e) => return text(StatusCode::BAD_GATEWAY, &format!("cannot sign the request: {e}")),
    };
    forwarded.extend(signature);
    let proxy2 = Arc::clone(&proxy);
    let (method2, url2) = (method.clone(), url.clone());
    let result = tokio::task::spawn_blocking(move || forward(&proxy2.agent, &method2, &url2, &forwarded, &body)).await;
    let response = match result {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => text(StatusCode::BAD_GATEWAY, &format!("cannot reach {url}: {e}")),
        Err(e) => text(StatusCode::BAD_GATEWAY, &format!("the request to {url} failed: {e}")),
    };
    proxy.report.progress(&format!(
        "{method} {path_and_query} -> {} ({} ms)",
        response.status().as_u16(),
        started.elapsed().as_millis()
    ));
    response
}

/// With the token parameter (and the right token): where to redirect to without it.
fn with_token(path_and_query: &str, token: &str) -> Option<String> {
    let (path, query) = path_and_query.split_once('?')?;
    let mut found = false;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let is_token = pair.split_once('=').is_some_and(|(k, v)| k == TOKEN_PARAM && v == token);
            found |= is_token;
            !is_token
        })
        .collect();
    found.then(|| if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) })
}

fn has_cookie(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim().split_once('=').is_some_and(|(k, v)| k == COOKIE && v == token))
}

/// Sends the signed request upstream and turns the answer into the proxy's response.
fn forward(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &Bytes,
) -> Result<Response, String> {
    let mut request = axum::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(body.to_vec()).map_err(|e| e.to_string())?;
    let upstream = agent.run(request).map_err(|e| e.to_string())?;
    let status = upstream.status();
    let mut response = Response::builder().status(status.as_u16());
    for (name, value) in upstream.headers() {
        if !matches!(name.as_str(), "connection" | "keep-alive" | "transfer-encoding" | "content-length") {
            response =
                response.header(name.as_str(), HeaderValue::from_bytes(value.as_bytes()).map_err(|e| e.to_string())?);
        }
    }
    let bytes = upstream.into_body().with_config().limit(BODY_LIMIT as u64).read_to_vec().map_err(|e| e.to_string())?;
    response.body(Body::from(bytes)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_urls_are_signed_for_their_region() {
        assert_eq!(lambda_region("abc.lambda-url.eu-west-1.on.aws"), Some("eu-west-1"));
        assert_eq!(lambda_region("127.0.0.1:8080"), None);
        let u = parse("https://abc.lambda-url.eu-west-1.on.aws/?x=1").unwrap();
        assert_eq!(
            (u.origin.as_str(), u.authority.as_str()),
            ("https://abc.lambda-url.eu-west-1.on.aws", "abc.lambda-url.eu-west-1.on.aws")
        );
        assert!(parse("ftp://x").is_err() && parse("https://user@x/").is_err() && parse("nonsense").is_err());
    }

    #[test]
    fn the_token_becomes_a_cookie_and_leaves_the_url() {
        assert_eq!(with_token("/?pipec_token=t", "t").as_deref(), Some("/"));
        assert_eq!(with_token("/a?x=1&pipec_token=t", "t").as_deref(), Some("/a?x=1"));
        assert_eq!(with_token("/?pipec_token=wrong", "t"), None);
        assert_eq!(with_token("/", "t"), None);
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; pipec_view=t"));
        assert!(has_cookie(&h, "t") && !has_cookie(&h, "u"));
    }
}
