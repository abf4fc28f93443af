//! Order events (`order_created`, and payment-status changes).
//!
//! Writers queue `pg_notify` inside their transaction, and PostgreSQL delivers the
//! notification only when that transaction commits. So an event is published after the
//! commit and never for a rolled-back order. Every service instance runs a
//! [`Listener`] that `LISTEN`s on the channel and hands each event to the in-process
//! [`OrderEvents`] hub. The hub feeds the GraphQL subscriptions and calls the registered
//! subscribers. A failing or panicking subscriber is logged and affects nothing else.
//! Because the channel is in PostgreSQL, a subscriber connected to one instance sees the
//! orders placed through any other instance.

use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast};

use super::model::OrderRow;
use crate::db::DbPool;
use crate::db::notifications::{ChannelListener, OnNotify};
use crate::db::sql::{Bind, Sql};
use crate::error::AppResult;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "storefront_order_events";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEventKind {
    Created,
    /// The payment status changed.
    Updated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub kind: OrderEventKind,
    pub order_id: i64,
    /// The user who owns the order.
    pub user_id: i64,
}

/// Queues `event` on the current transaction (delivered at commit).
pub async fn notify(conn: &mut AsyncPgConnection, event: &OrderEvent) -> AppResult<()> {
    let payload = serde_json::to_string(event).map_err(crate::error::AppError::internal)?;
    let mut sql = Sql::default();
    sql.push("SELECT pg_notify(")
        .bind(Bind::Text(CHANNEL.to_owned()))
        .push(", ")
        .bind(Bind::Text(payload))
        .push(")");
    diesel_async::RunQueryDsl::execute(sql, conn).await?;
    Ok(())
}

/// Something that reacts to order events, like the notes' `on_order_created`.
pub trait OrderSubscriber: Send + Sync {
    fn name(&self) -> &str;
    fn on_event<'a>(&'a self, event: &'a OrderEvent) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The reference subscriber: logs every order event.
pub struct LogOrders;

impl OrderSubscriber for LogOrders {
    fn name(&self) -> &str {
        "log"
    }

    fn on_event<'a>(&'a self, event: &'a OrderEvent) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            tracing::info!(order_id = event.order_id, user_id = event.user_id, kind = ?event.kind, "order event");
            Ok(())
        }
        .boxed()
    }
}

/// An event as the live subscriptions receive it. Its order is read once on this instance,
/// by whichever subscription asks first, and shared by all the others: ten thousand
/// subscribers cost one statement per event, not ten thousand.
pub struct Published {
    pub event: OrderEvent,
    order: OnceCell<Option<OrderRow>>,
}

impl Published {
    /// The event's order (`None` when it is gone).
    pub async fn order(&self, pool: &DbPool) -> AppResult<Option<OrderRow>> {
        let order = self
            .order
            .get_or_try_init(|| async {
                let mut conn = pool.get().await?;
                super::repo::find_order(&mut conn, super::repo::Scope::All, self.event.order_id)
                    .await
            })
            .await?;
        Ok(order.clone())
    }
}

/// The in-process hub: a broadcast channel for subscriptions plus the subscribers.
#[derive(Clone)]
pub struct OrderEvents {
    sender: broadcast::Sender<Arc<Published>>,
    subscribers: Arc<Vec<Arc<dyn OrderSubscriber>>>,
}

impl Default for OrderEvents {
    fn default() -> Self {
        Self::new(vec![Arc::new(LogOrders)])
    }
}

impl OrderEvents {
    pub fn new(subscribers: Vec<Arc<dyn OrderSubscriber>>) -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender, subscribers: Arc::new(subscribers) }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }

    /// Delivers one event: to the live subscriptions, then to every subscriber, each
    /// isolated (an error or a panic is logged and the others still run).
    pub async fn dispatch(&self, event: OrderEvent) {
        let _ =
            self.sender.send(Arc::new(Published { event: event.clone(), order: OnceCell::new() }));
        for subscriber in self.subscribers.iter() {
            let outcome =
                std::panic::AssertUnwindSafe(subscriber.on_event(&event)).catch_unwind().await;
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(
                    subscriber = subscriber.name(),
                    order_id = event.order_id,
                    error = format!("{error:#}"),
                    "order event subscriber failed"
                ),
                Err(_) => tracing::error!(
                    subscriber = subscriber.name(),
                    order_id = event.order_id,
                    "order event subscriber panicked"
                ),
            }
        }
    }
}

/// The task that listens for this database's order events.
pub struct Listener(ChannelListener);

impl Listener {
    /// Starts listening on `url`, reconnecting after failures.
    pub fn spawn(url: String, hub: OrderEvents) -> Self {
        Self(ChannelListener::spawn(url, CHANNEL, hub))
    }

    /// Resolves once `LISTEN` is active (events from then on are received).
    pub async fn ready(&mut self) {
        self.0.ready().await;
    }

    /// Reads `true` while `LISTEN` is active.
    pub fn up(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.up()
    }

    pub fn stop(self) {
        self.0.stop();
    }
}

impl OnNotify for OrderEvents {
    async fn notified(&self, payload: String) {
        match serde_json::from_str::<OrderEvent>(&payload) {
            Ok(event) => self.dispatch(event).await,
            Err(error) => tracing::warn!(%error, payload, "unreadable order event"),
        }
    }
}
