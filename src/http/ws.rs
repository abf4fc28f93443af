//! GraphQL over WebSocket, the `graphql-transport-ws` protocol, to the letter.
//!
//! - `connection_init` must come within `WS_INIT_TIMEOUT` (else close 4408); a second one
//!   closes 4429; a bad token in its payload closes 4403. The token travels as
//!   `{"Authorization": "Bearer <access>"}` (or `{"token": "<access>"}`).
//! - `subscribe` before the `connection_ack` closes 4401; a `subscribe` whose id is still
//!   running closes 4409 `Subscriber for <id> already exists`; more than
//!   `WS_MAX_OPERATIONS` at once answers an `error` message with `RATE_LIMITED` for that id
//!   and keeps the socket open.
//! - A document that fails before execution (parse, validation, the budget) answers one
//!   `error` message and nothing else for that id.
//! - An unknown or malformed message closes 4400; a message over `WS_MAX_MESSAGE_BYTES`
//!   closes 1009; `ping` is answered with `pong` at any time; `complete` works both ways.
//! - Authentication does not outlive its token: when the access token expires, or the user
//!   is deactivated, deleted or loses staff status, or the session is revoked (sign-out,
//!   a new password), the socket closes with 4403 (the [`SessionWatch`] re-checks
//!   signed-in sockets every `auth::watch::STANDING_INTERVAL`).
//! - On shutdown, sockets close with 1001 Going Away.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::{ClientAddr, RequestId, request_id};
use crate::app::{AppState, Route};
use crate::auth::viewer::{self, Viewer};
use crate::auth::watch::{Standing, WatchGuard, wait_standing};
use crate::error::AppError;
use crate::graphql::error_codes::annotate_response;

/// The only subprotocol spoken here.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// What a socket reserves to read frames into (tungstenite's default is 128 KiB).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// `GET /graphql/ws`.
pub async fn graphql_ws(
    State(state): State<AppState>, request: axum::extract::Request,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let request_id = request_id(&parts.headers);
    let client = ClientAddr::from_parts(&parts.extensions, &parts.headers, &state.trusted_proxies);
    let upgrade =
        match <WebSocketUpgrade as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
        {
            Ok(upgrade) => upgrade,
            Err(rejection) => return axum::response::IntoResponse::into_response(rejection),
        };
    // The transport's own cap sits above ours, so an oversized message still gets 1009.
    let transport_cap = state.budget.ws_max_message_bytes.saturating_mul(2);
    let span = tracing::info_span!("websocket", request_id = %request_id);
    upgrade
        .protocols([PROTOCOL])
        // tungstenite reserves 128 KiB per socket to read into by default, most of an
        // idle subscriber's memory; messages here are small, and larger ones still grow it.
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(transport_cap)
        .max_frame_size(transport_cap)
        .on_upgrade(move |socket| {
            Session::new(state, request_id, client).run(socket).instrument(span)
        })
}

/// Why a socket is closed.
struct Close(u16, String);

impl Close {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self(code, reason.into())
    }
}

/// What the socket does next.
enum Step {
    Wait,
    Send(Value),
    Close(Close),
    /// The client went away.
    Gone,
}

/// What an operation task sends back to the socket, tagged with the operation's id and
/// serial number (so nothing from a cancelled operation reaches a newer one of that id).
struct Outgoing {
    id: String,
    serial: u64,
    message: Value,
    /// The operation ended with this message (`complete` or `error`).
    last: bool,
}

struct Session {
    state: AppState,
    request_id: String,
    client: ClientAddr,
    acked: bool,
    initialised: bool,
    viewer: Option<Arc<Viewer>>,
    /// When the access token expires (Unix seconds).
    expires_at: Option<i64>,
    operations: HashMap<String, (u64, JoinHandle<()>)>,
    serial: u64,
}

impl Session {
    /// Who the socket's operations come from, for read-your-writes (`user:<id>`, else
    /// `addr:<client>`).
    fn caller(&self) -> String {
        match &self.viewer {
            Some(viewer) => format!("user:{}", viewer.id()),
            None => format!("addr:{}", self.client.0),
        }
    }

    fn new(state: AppState, request_id: String, client: ClientAddr) -> Self {
        Self {
            state,
            request_id,
            client,
            acked: false,
            initialised: false,
            viewer: None,
            expires_at: None,
            operations: HashMap::new(),
            serial: 0,
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let _open = crate::telemetry::Gauged::new("storefront_websocket_connections");
        let (mut sink, mut stream) = socket.split();
        let (tx, mut rx) = mpsc::channel::<Outgoing>(64);
        let init_deadline = tokio::time::sleep(self.state.budget.ws_init_timeout);
        tokio::pin!(init_deadline);
        let mut shutdown = self.state.shutdown.clone();
        let mut standing: Option<(watch::Receiver<Standing>, WatchGuard)> = None;
        let close = loop {
            let expiry = self.expiry();
            let step = tokio::select! {
                () = &mut init_deadline, if !self.initialised => {
                    Step::Close(Close::new(4408, "Connection initialisation timeout"))
                }
                () = expiry => Step::Close(Close::new(4403, "Forbidden")),
                changed = wait_standing(&mut standing) => {
                    if changed { Step::Wait } else { Step::Close(Close::new(4403, "Forbidden")) }
                }
                () = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                    Step::Close(Close::new(1001, "Going away"))
                }
                outgoing = rx.recv() => self.outgoing(outgoing),
                incoming = stream.next() => self.incoming(incoming, &tx).await,
            };
            match step {
                Step::Wait => {}
                Step::Send(message) => {
                    if sink.send(Message::Text(message.to_string().into())).await.is_err() {
                        break None;
                    }
                }
                Step::Close(close) => break Some(close),
                Step::Gone => break None,
            }
            self.watch(&mut standing);
        };
        for (_, (_, task)) in self.operations.drain() {
            task.abort();
        }
        if let Some(Close(code, reason)) = close {
            tracing::debug!(code, %reason, "closing the socket");
            let frame = CloseFrame { code, reason: Utf8Bytes::from(reason) };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        let _ = sink.close().await;
    }

    /// Once signed in, the session watch re-checks the socket's session and user.
    fn watch(&self, standing: &mut Option<(watch::Receiver<Standing>, WatchGuard)>) {
        if self.acked
            && standing.is_none()
            && let Some(viewer) = &self.viewer
        {
            let watched =
                self.state.sessions.watch(&self.state.pool, viewer.session, Standing::of(viewer));
            *standing = Some(watched);
        }
    }

    /// A message from an operation: sent unless its operation was cancelled meanwhile.
    fn outgoing(&mut self, outgoing: Option<Outgoing>) -> Step {
        let Some(out) = outgoing else {
            return Step::Wait;
        };
        if self.operations.get(&out.id).map(|(serial, _)| *serial) != Some(out.serial) {
            return Step::Wait;
        }
        if out.last {
            self.operations.remove(&out.id);
        }
        Step::Send(out.message)
    }

    /// A frame from the client.
    async fn incoming(
        &mut self, incoming: Option<Result<Message, axum::Error>>, tx: &mpsc::Sender<Outgoing>,
    ) -> Step {
        let text = match incoming {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                return Step::Close(Close::new(4400, "Binary messages are not supported"));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Step::Wait,
            Some(Ok(Message::Close(_))) | None => return Step::Gone,
            Some(Err(_)) => return Step::Close(Close::new(1009, "Message too big")),
        };
        if text.len() > self.state.budget.ws_max_message_bytes {
            return Step::Close(Close::new(1009, "Message too big"));
        }
        match self.handle(&text, tx).await {
            Ok(Some(reply)) => Step::Send(reply),
            Ok(None) => Step::Wait,
            Err(close) => Step::Close(close),
        }
    }

    /// Resolves when the access token expires (never without one).
    fn expiry(&self) -> impl Future<Output = ()> + use<> {
        let remaining = self.expires_at.map(|exp| {
            let now = chrono::Utc::now().timestamp();
            Duration::from_secs(u64::try_from(exp - now).unwrap_or(0))
        });
        async move {
            match remaining {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
        }
    }

    /// Handles one client message: an optional reply, or the reason to close.
    async fn handle(
        &mut self, text: &str, tx: &mpsc::Sender<Outgoing>,
    ) -> Result<Option<Value>, Close> {
        let invalid = || Close::new(4400, "Invalid message received");
        let message: Value = serde_json::from_str(text).map_err(|_| invalid())?;
        let kind = message.get("type").and_then(Value::as_str).ok_or_else(invalid)?;
        match kind {
            "connection_init" => {
                if self.initialised {
                    return Err(Close::new(4429, "Too many initialisation requests"));
                }
                self.initialised = true;
                self.authenticate(message.get("payload"))
                    .await
                    .map_err(|_| Close::new(4403, "Forbidden"))?;
                self.acked = true;
                Ok(Some(json!({ "type": "connection_ack" })))
            }
            "ping" => Ok(Some(match message.get("payload") {
                Some(payload) if !payload.is_null() => {
                    json!({ "type": "pong", "payload": payload })
                }
                _ => json!({ "type": "pong" }),
            })),
            "pong" => Ok(None),
            "subscribe" => {
                if !self.acked {
                    return Err(Close::new(4401, "Unauthorized"));
                }
                let id = message
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
                    .ok_or_else(invalid)?;
                let payload = message.get("payload").cloned().ok_or_else(invalid)?;
                let request: async_graphql::Request =
                    serde_json::from_value(payload).map_err(|_| invalid())?;
                self.subscribe(id, request, tx)
            }
            "complete" => {
                let id = message.get("id").and_then(Value::as_str).ok_or_else(invalid)?;
                if let Some((_, task)) = self.operations.remove(id) {
                    task.abort();
                }
                Ok(None)
            }
            _ => Err(invalid()),
        }
    }

    /// Reads the token of a `connection_init` payload, if any.
    async fn authenticate(&mut self, payload: Option<&Value>) -> Result<(), AppError> {
        let Some(payload) = payload.filter(|p| !p.is_null()) else {
            return Ok(());
        };
        let header = payload
            .get("Authorization")
            .or_else(|| payload.get("authorization"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                payload.get("token").and_then(Value::as_str).map(|t| format!("Bearer {t}"))
            });
        let Some(header) = header else {
            return Ok(());
        };
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&header)
            .map_err(|_| AppError::InvalidToken(viewer::BAD_HEADER.into()))?;
        headers.insert(header::AUTHORIZATION, value);
        let Some(token) = viewer::bearer_token(&headers)? else {
            return Ok(());
        };
        let auth = &self.state.auth;
        let viewer = viewer::authenticate(auth, &self.state.pool, &token).await?;
        self.expires_at = auth.jwt.decode(&token).map(|claims| claims.exp);
        self.viewer = Some(Arc::new(viewer));
        Ok(())
    }

    /// Starts operation `id`; the reply is an immediate `error` when it cannot start.
    fn subscribe(
        &mut self, id: &str, request: async_graphql::Request, tx: &mpsc::Sender<Outgoing>,
    ) -> Result<Option<Value>, Close> {
        if self.operations.contains_key(id) {
            return Err(Close::new(4409, format!("Subscriber for {id} already exists")));
        }
        let max = self.state.budget.ws_max_operations;
        if self.operations.len() >= max {
            return Ok(Some(json!({
                "id": id,
                "type": "error",
                "payload": [{
                    "message": format!("Too many operations on this connection; at most {max} may run at once."),
                    "extensions": { "code": "RATE_LIMITED", "status": 429, "requestId": self.request_id },
                }],
            })));
        }
        let caller = self.caller();
        let mut request = match self.state.admit(request, None, Route::primary(&caller)) {
            Ok(admitted) => {
                admitted.data(RequestId(self.request_id.clone())).data(self.client.clone())
            }
            Err(mut refused) => {
                annotate_response(&mut refused, &self.request_id);
                return Ok(Some(json!({ "id": id, "type": "error", "payload": refused.errors })));
            }
        };
        if let Some(viewer) = &self.viewer {
            request = request.data(viewer.clone());
        }
        self.serial += 1;
        let operation = Operation {
            id: id.to_owned(),
            serial: self.serial,
            tx: tx.clone(),
            request_id: self.request_id.clone(),
        };
        let task =
            tokio::spawn(operation.run(self.state.schema.clone(), request).in_current_span());
        self.operations.insert(id.to_owned(), (self.serial, task));
        Ok(None)
    }
}

/// One running operation of a socket.
struct Operation {
    id: String,
    serial: u64,
    tx: mpsc::Sender<Outgoing>,
    request_id: String,
}

impl Operation {
    /// Streams the operation's results: `next` for each, then `complete`; a document
    /// refused before execution gets one `error` instead.
    async fn run(self, schema: crate::schema::AppSchema, request: async_graphql::Request) {
        let _active = crate::telemetry::Gauged::new("storefront_subscriptions_active");
        let mut stream = schema.execute_stream(request);
        let mut first = true;
        while let Some(mut response) = stream.next().await {
            annotate_response(&mut response, &self.request_id);
            if first && super::answer::is_request_error(&response) {
                let error = json!({ "id": self.id, "type": "error", "payload": response.errors });
                self.send(error, true).await;
                return;
            }
            first = false;
            let next = json!({ "id": self.id, "type": "next", "payload": response });
            if !self.send(next, false).await {
                return;
            }
        }
        self.send(json!({ "id": self.id, "type": "complete" }), true).await;
    }

    async fn send(&self, message: Value, last: bool) -> bool {
        let out = Outgoing { id: self.id.clone(), serial: self.serial, message, last };
        self.tx.send(out).await.is_ok()
    }
}
