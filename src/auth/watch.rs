//! One re-check of every signed-in WebSocket's session and user per instance: a socket
//! closes when its session is revoked or its user deactivated, demoted or deleted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use super::viewer::Viewer;
use crate::db::DbPool;

/// How often the [`SessionWatch`] re-reads the standing of signed-in socket users.
pub const STANDING_INTERVAL: Duration = Duration::from_secs(2);

/// Waits for a change of the user's standing: `false` when it no longer allows the
/// socket (never resolves without a signed-in user).
pub async fn wait_standing(standing: &mut Option<(watch::Receiver<Standing>, WatchGuard)>) -> bool {
    let Some((receiver, _)) = standing else {
        return std::future::pending().await;
    };
    let initial = *receiver.borrow();
    if receiver.changed().await.is_err() {
        return std::future::pending().await;
    }
    let now = *receiver.borrow_and_update();
    now.exists && now.live && now.active && (now.staff || !initial.staff)
}

/// What a socket's authentication rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub exists: bool,
    pub active: bool,
    pub staff: bool,
    /// The session has not been revoked (sign-out, new password, …).
    pub live: bool,
}

impl Standing {
    pub fn of(viewer: &Viewer) -> Self {
        Self {
            exists: true,
            active: viewer.user.is_active,
            staff: viewer.user.is_staff,
            live: true,
        }
    }

    const GONE: Self = Self { exists: false, active: false, staff: false, live: false };
}

type Watched = HashMap<Uuid, (usize, watch::Sender<Standing>)>;

/// One re-check of every signed-in socket's session and user per instance, in one statement every
/// [`STANDING_INTERVAL`] (instead of one per socket).
#[derive(Clone, Default)]
pub struct SessionWatch {
    users: Arc<Mutex<Watched>>,
    running: Arc<std::sync::atomic::AtomicBool>,
}

/// Stops watching a user when the last of their sockets closes.
pub struct WatchGuard {
    users: Weak<Mutex<Watched>>,
    session: Uuid,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let Some(users) = self.users.upgrade() else {
            return;
        };
        let Ok(mut users) = users.lock() else { return };
        if let Some((count, _)) = users.get_mut(&self.session) {
            *count -= 1;
            if *count == 0 {
                users.remove(&self.session);
            }
        }
    }
}

impl SessionWatch {
    /// Watches `session`, starting the re-check task on first use.
    pub fn watch(
        &self, pool: &DbPool, session: Uuid, initial: Standing,
    ) -> (watch::Receiver<Standing>, WatchGuard) {
        if !self.running.swap(true, std::sync::atomic::Ordering::SeqCst) {
            tokio::spawn(recheck(Arc::downgrade(&self.users), pool.clone()));
        }
        let receiver = match self.users.lock() {
            Ok(mut users) => {
                let entry = users.entry(session).or_insert_with(|| (0, watch::channel(initial).0));
                entry.0 += 1;
                entry.1.subscribe()
            }
            Err(_) => watch::channel(initial).1,
        };
        let guard = WatchGuard { users: Arc::downgrade(&self.users), session };
        (receiver, guard)
    }
}

async fn recheck(users: Weak<Mutex<Watched>>, pool: DbPool) {
    let mut tick = tokio::time::interval(STANDING_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(strong) = users.upgrade() else {
            return;
        };
        let ids: Vec<Uuid> = match strong.lock() {
            Ok(users) => users.keys().copied().collect(),
            Err(_) => return,
        };
        drop(strong);
        if ids.is_empty() {
            continue;
        }
        let rows = async {
            let mut conn = pool.get().await?;
            super::sessions::standings(&mut conn, &ids).await
        }
        .await;
        let Ok(rows) = rows else { continue };
        let found: HashMap<Uuid, Standing> = rows
            .into_iter()
            .map(|(id, active, staff, live)| {
                let standing = Standing { exists: true, active, staff, live };
                (id, standing)
            })
            .collect();
        let Some(strong) = users.upgrade() else {
            return;
        };
        let Ok(users) = strong.lock() else { return };
        // Only the sessions that were asked about: one registered while the query ran is
        // not missing, just not checked yet.
        for id in &ids {
            let Some((_, sender)) = users.get(id) else {
                continue;
            };
            let standing = found.get(id).copied().unwrap_or(Standing::GONE);
            sender.send_if_modified(|current| {
                let changed = *current != standing;
                *current = standing;
                changed
            });
        }
    }
}
