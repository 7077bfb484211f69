//! How the calling thread waits for its call's answer: a call made alone polls for it briefly
//! without sleeping, and otherwise (or after that) sleeps until the runtime wakes it.
//!
//! Kept apart from the HTTP client (`http`), which only says what to wait for.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

/// How long a lone call polls for its answer before it sleeps (see `poll_then_wait`).
const BUSY_POLL: Duration = Duration::from_micros(100);
/// Calls from two threads this close together count as concurrent (see `poll_then_wait`).
const CONCURRENT_WITHIN: Duration = Duration::from_millis(5);

/// Calls in flight in the process, on every lane.
static CALLS_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// The thread and time of the latest call's start: `thread tag << 48 | microseconds since
/// `EPOCH`` (48 bits of microseconds last nine years).
static LAST_START: AtomicU64 = AtomicU64::new(0);
static EPOCH: once_cell::sync::Lazy<std::time::Instant> =
    once_cell::sync::Lazy::new(std::time::Instant::now);
static THREAD_TAGS: AtomicU64 = AtomicU64::new(1);
thread_local! {
    /// A small number naming the calling thread (0 is never used).
    static THREAD_TAG: u64 = THREAD_TAGS.fetch_add(1, Ordering::Relaxed) & 0xffff;
}

/// Counts a call in flight until dropped, and says whether it may poll for its answer.
pub struct InFlight {
    pub alone: bool,
}

impl InFlight {
    /// A call is alone when no other call is in flight and no other thread started one within
    /// `CONCURRENT_WITHIN` (two runspaces calling in turn are never in flight together for long).
    pub fn enter() -> InFlight {
        let others = CALLS_IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        let tag = THREAD_TAG.try_with(|tag| *tag).unwrap_or(0);
        let now = u64::try_from(EPOCH.elapsed().as_micros()).unwrap_or(u64::MAX) & ((1 << 48) - 1);
        let previous = LAST_START.swap(tag << 48 | now, Ordering::Relaxed);
        let (previous_tag, previous_at) = (previous >> 48, previous & ((1 << 48) - 1));
        let recent_other = previous_tag != tag
            && now.saturating_sub(previous_at) < CONCURRENT_WITHIN.as_micros() as u64;
        InFlight {
            alone: others == 0 && !recent_other,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        CALLS_IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `work`, polling it (and the runtime's sockets) without sleeping for up to
/// `BUSY_POLL` before waiting as usual, when the call is `alone` (see `InFlight::enter`).
///
/// A token answer on a local network can come back sooner than a thread that slept waiting for
/// it is woken (on a virtual machine waking takes longest), so a lone call that polls a little
/// first is answered sooner (BENCHMARKS.md has the figures). Polling costs at most `BUSY_POLL`
/// of CPU per call, nothing next to a remote service's round trip. With several calls in flight
/// the CPUs are better left to them (and to a local server), so then every call sleeps at once:
/// polling would take the CPU time the server answering them needs.
pub async fn poll_then_wait<F: Future>(alone: bool, work: F) -> F::Output {
    tokio::pin!(work);
    if !alone {
        return work.await;
    }
    let until = std::time::Instant::now() + BUSY_POLL;
    loop {
        if let Poll::Ready(output) = PollOnce(work.as_mut()).await {
            return output;
        }
        if std::time::Instant::now() >= until || CALLS_IN_FLIGHT.load(Ordering::Relaxed) > 1 {
            return work.await;
        }
        // Back to the runtime, which checks the sockets without blocking and polls again.
        tokio::task::yield_now().await;
    }
}

/// One poll of the pinned future it holds, as a future that is ready at once with that poll's
/// result (what `std::future::poll_fn(|cx| Poll::Ready(work.as_mut().poll(cx)))` does; that
/// function is newer than rustc 1.63, which the Windows cross-build uses).
struct PollOnce<'a, F: Future>(std::pin::Pin<&'a mut F>);

impl<F: Future> Future for PollOnce<'_, F> {
    type Output = Poll<F::Output>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Self::Output> {
        Poll::Ready(self.0.as_mut().poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_call_polls_for_its_answer() {
        // No other unit test makes a call (they stop at argument checks), so this test alone
        // moves the counters. Each step runs on a thread of its own, as a runspace would.
        let on_thread = |f: fn() -> bool| std::thread::spawn(f).join().unwrap();
        // A call right after another thread's call is not alone. The second thread is started
        // beforehand and told when the first call began; on a loaded machine it may still come
        // too late to count as right after, and such a try proves nothing: it is made again.
        let verdict = (0..20).find_map(|_| {
            let (first_began, wait_for_first) = std::sync::mpsc::channel();
            let second = std::thread::spawn(move || {
                let began: std::time::Instant = wait_for_first.recv().unwrap();
                let alone = InFlight::enter().alone;
                (began.elapsed(), alone)
            });
            std::thread::spawn(move || {
                drop(InFlight::enter());
                first_began.send(std::time::Instant::now()).unwrap();
            })
            .join()
            .unwrap();
            let (gap, alone) = second.join().unwrap();
            (gap < CONCURRENT_WITHIN / 2).then_some(alone)
        });
        assert_eq!(
            verdict,
            Some(false),
            "a call right after another thread's call is not alone"
        );
        assert!(on_thread(|| {
            // A script's loop: the same thread again, once the other thread's call is long past.
            std::thread::sleep(CONCURRENT_WITHIN * 2);
            drop(InFlight::enter());
            InFlight::enter().alone
        }));
        assert!(
            !on_thread(|| {
                let _first = InFlight::enter();
                InFlight::enter().alone
            }),
            "two calls in flight at once are not alone"
        );
    }
}
