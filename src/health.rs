//! What the instance knows of its own health, for `/readyz` and the metrics: whether it is
//! draining, and whether each of its long-running parts (the `LISTEN` tasks, the job
//! runtime) is up. The database and its migrations are asked afresh by `/readyz` itself.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

/// The parts that report whether they are up, and the draining flag.
#[derive(Default)]
pub struct Health {
    draining: AtomicBool,
    parts: Mutex<Vec<(&'static str, watch::Receiver<bool>)>>,
}

impl Health {
    /// From now on `/readyz` also requires `part` to be up (its receiver reads `true`).
    pub fn watch(&self, part: &'static str, up: watch::Receiver<bool>) {
        self.parts().push((part, up));
    }

    /// The instance is shutting down: `/readyz` answers 503 from now on, while requests
    /// are still served, so load balancers stop sending new ones.
    pub fn begin_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Every watched part, with whether it is up now.
    pub fn parts_up(&self) -> Vec<(&'static str, bool)> {
        self.parts().iter().map(|(part, up)| (*part, *up.borrow())).collect()
    }

    fn parts(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, watch::Receiver<bool>)>> {
        self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
