//! Cancellation of calls in flight: a flag a call watches while it waits on the network, set from
//! any thread (PowerShell's `StopProcessing` runs on another thread than the call it stops).

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// A cancellation a call watches (opaque). Made with `nt_cancel_new`, triggered with
/// `nt_cancel_trigger` from any thread, freed once with `nt_cancel_free`.
//
// In Rust: a one-way flag plus a wake-up for the calls waiting on it.
#[derive(Default, Debug)]
pub struct Cancel {
    triggered: AtomicBool,
    wake: Notify,
}

impl Cancel {
    /// Sets the flag for good and wakes every call watching it.
    pub fn trigger(&self) {
        self.triggered.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    pub fn is_triggered(&self) -> bool {
        self.triggered.load(Ordering::SeqCst)
    }

    /// Completes once the flag is set.
    pub async fn triggered(&self) {
        loop {
            // Registered before the flag is read: a trigger in between still wakes this
            // waiter, because `Notified` counts the wake-ups sent since it was made.
            let wake = self.wake.notified();
            if self.is_triggered() {
                return;
            }
            wake.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn a_trigger_from_another_thread_wakes_the_waiter() {
        let cancel = Arc::new(Cancel::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let trigger = {
            let cancel = Arc::clone(&cancel);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                cancel.trigger();
            })
        };
        let started = Instant::now();
        runtime.block_on(cancel.triggered());
        assert!(started.elapsed() < Duration::from_secs(5));
        trigger.join().unwrap();
        // Once set, the flag stays set and waiting ends at once.
        assert!(cancel.is_triggered());
        runtime.block_on(cancel.triggered());
    }
}
