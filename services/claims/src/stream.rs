//! Wakes `WatchClaims` streams of this replica when a claim event was written; streams also
//! poll, which covers events written by other replicas and wake-ups sent before the commit.

use std::sync::Arc;

use tokio::sync::Notify;

#[derive(Clone, Default, Debug)]
pub struct StreamNotifier(Arc<Notify>);

impl StreamNotifier {
    pub fn notify(&self) {
        self.0.notify_waiters();
    }

    pub async fn notified(&self) {
        self.0.notified().await
    }
}
