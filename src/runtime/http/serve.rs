//! The server's accept loop (hyper, not `axum::serve`, for what axum does not expose): every
//! connection speaks HTTP/1.1 or HTTP/2 cleartext with prior knowledge (what the Node AWS
//! SDK's default Kinesis client sends), under the [`Limits`]: a header-read timeout, an idle
//! timeout, a bound on open connections (one more is answered `503` and closed, never left
//! hanging). The body-read timeout is [`read_body`], a middleware.
//!
//! Stopping: the loop stops accepting, asks every connection to finish (HTTP/1.1: after the
//! response in flight; HTTP/2: GOAWAY) and returns when all have closed.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::limits::Limits;

/// How long a connection asked to stop may take to finish its response.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What a connection over the bound is told.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n\
Content-Length: 52\r\nConnection: close\r\n\r\ntoo many connections (--http-max-connections); retry\n";

/// Accepts connections until `stopping` turns `true`, then waits for the open ones to close.
pub async fn accept(listener: TcpListener, router: Router, limits: Limits, mut stopping: watch::Receiver<bool>) {
    let open = Arc::new(Semaphore::new(limits.max_connections as usize));
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => {
                // Out of file descriptors, or a connection reset before it was accepted: the
                // listener itself is fine, so wait a moment and go on.
                let Ok((socket, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                socket
            }
            () = stopped(&mut stopping) => break,
        };
        let _ = socket.set_nodelay(true);
        match open.clone().try_acquire_owned() {
            Ok(permit) => {
                let (router, stopping) = (router.clone(), stopping.clone());
                tokio::spawn(async move {
                    serve_connection(socket, router, limits, stopping).await;
                    drop(permit);
                });
            }
            Err(_) => {
                tokio::spawn(refuse(socket));
            }
        }
    }
    drop(listener);
    let _ = open.acquire_many(limits.max_connections).await;
}

/// Returns when the server is asked to stop.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}

/// Answers 503 to a connection over the bound (without reading its request) and closes it.
async fn refuse(mut socket: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        socket.write_all(BUSY).await?;
        socket.shutdown().await
    })
    .await;
}

async fn serve_connection(socket: TcpStream, router: Router, limits: Limits, mut stopping: watch::Receiver<bool>) {
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let io = Activity { inner: TokioIo::new(socket), start, last: last.clone() };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let connection = builder.serve_connection(io, TowerToHyperService::new(router));
    tokio::pin!(connection);
    loop {
        let idle_until = start + Duration::from_millis(last.load(Ordering::Relaxed)) + limits.idle_timeout;
        tokio::select! {
            _ = connection.as_mut() => return,
            () = tokio::time::sleep_until(idle_until) => {
                let since = start + Duration::from_millis(last.load(Ordering::Relaxed));
                if since.elapsed() < limits.idle_timeout {
                    continue;
                }
            }
            () = stopped(&mut stopping) => {}
        }
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(CLOSE_GRACE, connection.as_mut()).await;
        return;
    }
}

/// A connection's socket that notes when it last moved a byte (for the idle timeout).
struct Activity {
    inner: TokioIo<TcpStream>,
    start: Instant,
    /// Milliseconds after `start`.
    last: Arc<AtomicU64>,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }
}

impl hyper::rt::Read for Activity {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if polled.is_ready() {
            self.touch();
        }
        polled
    }
}

impl hyper::rt::Write for Activity {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }
}

/// Middleware: reads the whole request body within `--http-body-timeout` (else `408`) and
/// up to `limit` bytes (else `413`), then hands the request on with the body in memory.
pub async fn read_body(State((limits, limit)): State<(Limits, usize)>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(limits.body_timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            format!("request body not received within {:?} (--http-body-timeout)\n", limits.body_timeout),
        )
            .into_response(),
        Ok(Err(e)) if is_too_large(&e) => {
            (StatusCode::PAYLOAD_TOO_LARGE, format!("request body over {limit} bytes\n")).into_response()
        }
        Ok(Err(e)) => (StatusCode::BAD_REQUEST, format!("could not read the request body: {e}\n")).into_response(),
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
    }
}

fn is_too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.to_string().contains("length limit exceeded") {
            return true;
        }
        source = err.source();
    }
    false
}
