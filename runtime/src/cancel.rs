//! A cancel request from another part of the process (the workspace service cancels a run
//! over REST); the run treats it as Ctrl-C: running steps get SIGTERM, then SIGKILL after 5
//! seconds, and the run is recorded as canceled.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A shared flag that cancels a run once set; clones share it.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    flag: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    /// A token that is not canceled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every holder to stop (idempotent).
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether a cancel was asked for.
    pub fn is_canceled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }

    /// Resolves once the token is canceled (at once when it already is). Works from any
    /// runtime: the run's own and the service's.
    pub async fn canceled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before the flag is read, so a cancel in between is not missed.
            notified.as_mut().enable();
            if self.is_canceled() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_from_another_thread_wakes_the_waiter() {
        let token = CancelToken::new();
        let other = token.clone();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            other.cancel();
        });
        rt.block_on(token.canceled());
        assert!(token.is_canceled());
        t.join().expect("thread");
        // Already canceled: resolves at once.
        rt.block_on(token.canceled());
    }
}
