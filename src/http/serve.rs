//! The accept loop: HTTP/1.1 with a header read timeout (no slowloris), WebSocket
//! upgrades, the peer address for every request, and a graceful shutdown that lets
//! requests in flight finish within a grace period.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// What a connection task needs for the graceful drain: the stop signal, and a sender
/// whose drop says the connection has finished.
struct Drain {
    stopping: tokio::sync::watch::Receiver<bool>,
    done: tokio::sync::mpsc::Sender<()>,
}

/// Serves one connection (with the peer address in every request) until it ends or,
/// after the stop signal, until its request in flight is done.
fn spawn_connection(
    builder: &http1::Builder, stream: tokio::net::TcpStream, peer: SocketAddr, app: Router,
    drain: Drain,
) {
    let service = app.map_request(move |request: hyper::Request<hyper::body::Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
        request
    });
    let connection = builder
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    let Drain { mut stopping, done } = drain;
    tokio::spawn(async move {
        let mut connection = std::pin::pin!(connection);
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
                // Finish the request in flight, then close (idle connections close now).
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = result {
            tracing::debug!(%error, %peer, "connection ended with an error");
        }
        drop(done);
    });
}

/// How the listener treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// A client that has not sent a request's headers by then is disconnected.
    pub header_read_timeout: Duration,
    /// How long requests in flight may take to finish after shutdown begins.
    pub shutdown_grace: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits
/// up to the grace period for open connections.
pub async fn serve(
    listener: TcpListener, app: Router, options: ServeOptions, shutdown: impl Future<Output = ()>,
) {
    // Every connection task holds a `done` sender: when all are gone, all have finished.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let (done, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let drain = Drain { stopping: stopping.clone(), done: done.clone() };
        spawn_connection(&builder, stream, peer, app.clone(), drain);
    }
    drop(listener);
    let _ = stop.send(true);
    drop(done);
    if tokio::time::timeout(options.shutdown_grace, all_done.recv()).await.is_err() {
        tracing::warn!("some connections were still open after the shutdown grace period");
    }
}
