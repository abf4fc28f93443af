//! PostgreSQL `LISTEN`: one task per channel and instance that hands every notification
//! to a handler, reconnecting after failures. Writers `NOTIFY` inside their transaction,
//! so a notification arrives only after its transaction committed, on every instance.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What a channel's listener calls.
pub trait OnNotify: Send + Sync + 'static {
    /// `LISTEN` is active again after a (re)connection: notifications sent while it was
    /// not may have been missed.
    fn listening(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// A committed notification's payload.
    fn notified(&self, payload: String) -> impl Future<Output = ()> + Send;
}

/// The task that listens on one channel.
pub struct ChannelListener {
    handle: JoinHandle<()>,
    ready: watch::Receiver<bool>,
}

impl ChannelListener {
    /// Listens on `channel` of the database at `url`, reconnecting a second after each
    /// failure.
    pub fn spawn<H: OnNotify>(url: String, channel: &'static str, handler: H) -> Self {
        let (ready_tx, ready) = watch::channel(false);
        let handle = tokio::spawn(async move {
            loop {
                if let Err(error) = listen(&url, channel, &handler, &ready_tx).await {
                    tracing::warn!(
                        channel,
                        error = format!("{error:#}"),
                        "listener lost its connection; reconnecting"
                    );
                }
                let _ = ready_tx.send(false);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Self { handle, ready }
    }

    /// Resolves once `LISTEN` is active (notifications from then on are received).
    pub async fn ready(&mut self) {
        let _ = self.ready.wait_for(|ready| *ready).await;
    }

    /// Reads `true` while `LISTEN` is active.
    pub fn up(&self) -> watch::Receiver<bool> {
        self.ready.clone()
    }

    pub fn stop(self) {
        self.handle.abort();
    }
}

async fn listen<H: OnNotify>(
    url: &str, channel: &str, handler: &H, ready: &watch::Sender<bool>,
) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    conn.batch_execute(&format!("LISTEN {channel}")).await?;
    handler.listening().await;
    let _ = ready.send(true);
    let mut notifications = std::pin::pin!(conn.notifications_stream());
    while let Some(notification) = notifications.next().await {
        handler.notified(notification?.payload).await;
    }
    anyhow::bail!("the notification stream ended")
}
