//! The HTTP server of `pipec run --local` (axum, on `--listen`, for the life of the run).
//!
//! | route | does |
//! |---|---|
//! | `POST /records` | NDJSON body, one JSON object per non-blank line → `{"accepted": n}`, or `400` naming the bad lines (nothing stored), see [`records`] |
//! | `POST /` + `X-Amz-Target: Kinesis_20131202.*` | Kinesis Data Streams API (JSON and CBOR), see [`kinesis`] |
//! | `GET /` | the viewer: flagged records sorted as the spec says, live over `/events` |
//! | `GET /graph` | the pipeline's diagram (the SVG of `pipec graph`), when the CLI drew one |
//! | `GET /events` | Server-Sent Events: `change` after each store commit, `metrics` each second |
//! | `GET /api/flagged?limit=&offset=` | flagged rows (JSON), sorted as the viewer says |
//! | `GET /api/alerts?limit=` | window alerts, newest first |
//! | `GET /metrics` | Prometheus text format, see [`prometheus`] |
//! | `GET /healthz` | `200 ok`, or `503` saying what cannot write (paused, retrying) or which engine worker failed |
//!
//! An ingest response (`200` from `/records`, a sequence number from Kinesis) is sent after
//! [`Handle::ingest`] returned: the records are in the log and survive a crash of the process.
//!
//! Every connection speaks HTTP/1.1 or HTTP/2 cleartext (prior knowledge), under the timeouts
//! and the connection bound of [`Limits`] (see [`serve`](mod@serve)).
//!
//! Safety: the server listens on loopback unless `--allow-remote` is given (it has no
//! authentication; Kinesis SigV4 signatures are not checked). Against web pages the user visits,
//! a request whose `Host` (HTTP/2: `:authority`) is not a loopback name is refused (DNS
//! rebinding), and so is one whose `Origin` is another site (cross-site POSTs).
//! [`Server::stop`] stops accepting, lets requests in flight finish (so every acknowledged
//! record is in the log before the engine drains it), ends the event streams and returns
//! within a few seconds.

mod graph;
pub mod kinesis;
mod limits;
pub mod prometheus;
mod records;
pub mod serve;
pub mod viewer;

pub use limits::Limits;

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::watch;

use super::Handle;

/// Largest request body (`POST /records`; the Kinesis API takes at most [`kinesis::BODY_LIMIT`]).
pub const BODY_LIMIT: usize = 16 << 20;

/// How long [`Server::stop`] waits for requests in flight.
const STOP_GRACE: Duration = Duration::from_secs(5);

pub use super::DEFAULT_LISTEN;

/// A bound socket, before the engine starts (so a bad `--listen` fails first).
pub struct Listener {
    socket: std::net::TcpListener,
    remote: bool,
    /// The default address was taken, so a free port was chosen instead.
    moved: bool,
}

/// Binds `listen` (`HOST:PORT`, or `:PORT` for 127.0.0.1; port 0 picks a free one). A host
/// that is not loopback is refused unless `allow_remote`. When [`DEFAULT_LISTEN`] is taken
/// (another run, say), a free port is used instead; any other address in use is an error.
pub fn bind(listen: &str, allow_remote: bool) -> io::Result<Listener> {
    match bind_exactly(listen, allow_remote) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse && listen == DEFAULT_LISTEN => {
            let mut listener = bind_exactly("127.0.0.1:0", false)?;
            listener.moved = true;
            Ok(listener)
        }
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            Err(io::Error::new(e.kind(), format!("{e} (`--listen 127.0.0.1:0` picks a free port)")))
        }
        other => other,
    }
}

fn bind_exactly(listen: &str, allow_remote: bool) -> io::Result<Listener> {
    let full = if listen.starts_with(':') { format!("127.0.0.1{listen}") } else { listen.to_owned() };
    let addrs: Vec<SocketAddr> = full
        .to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("`{listen}` is not HOST:PORT ({e})")))?
        .collect();
    let remote = addrs.iter().any(|a| !a.ip().is_loopback());
    if remote && !allow_remote {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "`{listen}` is not a loopback address: the API and viewer have no authentication, so they \
                 listen on 127.0.0.1 unless you pass --allow-remote"
            ),
        ));
    }
    let socket = std::net::TcpListener::bind(&addrs[..])?;
    socket.set_nonblocking(true)?;
    Ok(Listener { socket, remote, moved: false })
}

impl Listener {
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

/// Shared by every request.
#[derive(Clone)]
struct App {
    handle: Arc<Handle>,
    /// Turns `true` when the server stops (ends the event streams).
    stopping: watch::Receiver<bool>,
    page: Arc<viewer::Page>,
    kinesis: Arc<kinesis::Stream>,
    /// Check `Host` against DNS rebinding (off with `--allow-remote`).
    loopback_only: bool,
}

/// A running server.
pub struct Server {
    runtime: tokio::runtime::Runtime,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    addr: SocketAddr,
    moved: bool,
}

/// Starts serving on `listener` (two worker threads of its own).
pub fn serve(listener: Listener, handle: Arc<Handle>, limits: Limits) -> io::Result<Server> {
    let (addr, moved) = (listener.local_addr()?, listener.moved);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .thread_name("pipec-http")
        .enable_io()
        .enable_time()
        .build()?;
    let (stop, stopping) = watch::channel(false);
    let app = App {
        page: Arc::new(viewer::Page::new(handle.pipeline())),
        kinesis: Arc::new(kinesis::Stream::new(handle.pipeline(), SystemTime::now())),
        handle,
        stopping: stopping.clone(),
        loopback_only: !listener.remote,
    };
    let router = router(app, limits);
    let task = {
        let _guard = runtime.enter();
        let socket = tokio::net::TcpListener::from_std(listener.socket)?;
        runtime.spawn(serve::accept(socket, router, limits, stopping))
    };
    Ok(Server { runtime, stop, task, addr, moved })
}

fn router(app: App, limits: Limits) -> Router {
    Router::new()
        .route("/", get(viewer::page).post(kinesis::api))
        .route("/records", post(records::post))
        .route("/graph", get(graph::page))
        .route("/events", get(viewer::events))
        .route("/api/flagged", get(viewer::flagged))
        .route("/api/alerts", get(viewer::alerts))
        .route("/metrics", get(prometheus::metrics))
        .route("/healthz", get(healthz))
        .layer(middleware::from_fn_with_state((limits, BODY_LIMIT), serve::read_body))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

impl Server {
    /// `http://HOST:PORT` (the bound address, also when `--listen` asked for port 0).
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether [`DEFAULT_LISTEN`] was taken, so a free port was chosen instead.
    #[must_use]
    pub fn moved(&self) -> bool {
        self.moved
    }

    /// Stops accepting, waits (bounded) for requests in flight, ends the event streams.
    pub fn stop(self) -> io::Result<()> {
        let _ = self.stop.send(true);
        let outcome = self.runtime.block_on(async { tokio::time::timeout(STOP_GRACE, self.task).await });
        self.runtime.shutdown_timeout(Duration::from_secs(1));
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(join)) => Err(io::Error::other(format!("HTTP server: {join}"))),
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "HTTP server: requests still running after 5 s")),
        }
    }
}

/// Refuses requests that a web page could have sent: a `Host` (HTTP/2: `:authority`) that is
/// not a loopback name (DNS rebinding) and an `Origin` other than the server's own
/// (cross-site POSTs).
async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let authority = request.uri().authority().map(axum::http::uri::Authority::as_str);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).or(authority).unwrap_or("");
    if app.loopback_only && !is_loopback_host(host) {
        return (StatusCode::FORBIDDEN, "forbidden: Host is not a loopback name\n").into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let same = origin.to_str().ok().and_then(|o| o.strip_prefix("http://")).is_some_and(|o| o == host);
        if !same {
            return (StatusCode::FORBIDDEN, "forbidden: cross-origin request\n").into_response();
        }
    }
    next.run(request).await
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `GET /healthz`.
async fn healthz(State(app): State<App>) -> Response {
    if let Some(pause) = app.handle.pause() {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{pause}\n")).into_response();
    }
    match app.handle.failed() {
        None => (StatusCode::OK, "ok\n").into_response(),
        Some(worker) => (StatusCode::SERVICE_UNAVAILABLE, format!("failed: the {worker} stopped\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "localhost:4567", "127.0.0.1:80", "[::1]:4567", "app.localhost:1", "127.1.2.3"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["", "example.com", "evil.com:4567", "10.0.0.1:80", "[2001:db8::1]:80", "localhost.evil.com"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn non_loopback_listen_needs_allow_remote() {
        let err = bind("0.0.0.0:0", false).err().expect("refused");
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(bind("127.0.0.1:0", false).is_ok());
        assert!(bind(":0", false).unwrap().local_addr().unwrap().ip().is_loopback());
        assert!(bind("no-port", false).is_err());
        let taken = bind("127.0.0.1:0", false).unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        assert_eq!(bind(&addr, false).err().unwrap().kind(), io::ErrorKind::AddrInUse);
    }
}
