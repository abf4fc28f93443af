//! A graphql-transport-ws client over a real WebSocket, and the service on a real port.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use storefront::http::serve::{ServeOptions, serve};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// The service's router on a loopback port, through the real accept loop.
pub struct Served {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    pub async fn start(router: axum::Router) -> Self {
        Self::with_header_timeout(router, Duration::from_secs(10)).await
    }

    pub async fn with_header_timeout(router: axum::Router, header_read_timeout: Duration) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let options = ServeOptions { header_read_timeout, shutdown_grace: Duration::from_secs(2) };
        let task = tokio::spawn(async move {
            serve(listener, router, options, async {
                let _ = stopped.await;
            })
            .await;
        });
        Self { addr, stop: Some(stop), task }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server did next.
#[derive(Debug)]
pub enum Event {
    Message(Value),
    Closed(u16, String),
}

pub struct WsClient(Stream);

impl WsClient {
    /// Opens a socket speaking graphql-transport-ws, without `connection_init`.
    pub async fn open(addr: SocketAddr) -> Self {
        let mut request = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (stream, response) = tokio_tungstenite::connect_async(request).await.expect("ws");
        assert_eq!(
            response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        Self(stream)
    }

    /// Opens a socket and completes `connection_init` (with a token when given).
    pub async fn connect(addr: SocketAddr, token: Option<&str>) -> Self {
        let mut client = Self::open(addr).await;
        let payload =
            token.map_or(json!({}), |t| json!({ "Authorization": format!("Bearer {t}") }));
        client.send(json!({ "type": "connection_init", "payload": payload })).await;
        let ack = client.next().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.0.send(Message::Text(text.into())).await.unwrap();
    }

    /// Subscribes `id` to `query`.
    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } })).await;
    }

    /// The next text message or the close, within `wait`.
    pub async fn event_within(&mut self, wait: Duration) -> Option<Event> {
        loop {
            let message = tokio::time::timeout(wait, self.0.next()).await.ok()?;
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Some(Event::Message(serde_json::from_str(&text).unwrap_or_default()));
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |f: CloseFrame| {
                        (u16::from(f.code), f.reason.to_string())
                    });
                    return Some(Event::Closed(code, reason));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Some(Event::Closed(1006, String::new())),
            }
        }
    }

    /// The next text message (fails on a close or after 10 s).
    pub async fn next(&mut self) -> Value {
        match self.event_within(Duration::from_secs(10)).await {
            Some(Event::Message(message)) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Expects the server to close the socket with `code` within `wait`; returns the reason.
    pub async fn expect_close_within(&mut self, code: u16, wait: Duration) -> String {
        match self.event_within(wait).await {
            Some(Event::Closed(got, reason)) => {
                assert_eq!(got, code, "closed with {got} {reason:?}");
                reason
            }
            other => panic!("expected close {code}, got {other:?}"),
        }
    }

    pub async fn expect_close(&mut self, code: u16) -> String {
        self.expect_close_within(code, Duration::from_secs(10)).await
    }

    /// Nothing arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Some(event) = self.event_within(wait).await {
            panic!("expected nothing, got {event:?}");
        }
    }
}
