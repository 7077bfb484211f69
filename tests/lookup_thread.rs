//! The threads a call leaves behind: none. A call to a host name looks it up on a helper thread
//! of its lane (getaddrinfo blocks); that thread ends once its lookup is done, instead of idling
//! on for seconds. This binary holds this one test so that no other test's threads are counted.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The threads of this process.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .count()
}

#[test]
fn a_call_to_a_host_name_leaves_no_thread_running() {
    let emulator = Emulator::start();
    // localhost, not 127.0.0.1: the call has a name to look up.
    let endpoint = emulator.vc_endpoint().replace("127.0.0.1", "localhost");
    assert!(endpoint.contains("//localhost:"), "{endpoint}");
    let jwt = fresh_jwt();
    // The first call makes the default configuration; its lane stays, with no thread of its own.
    vc_fetch(&emulator.vc_endpoint(), &jwt, 10_000).expect("a token");
    let before = thread_count();

    let token = vc_fetch(&endpoint, &jwt, 10_000).expect("a token from localhost");
    assert!(token.endpoint.contains("//localhost:"));
    // The lookup thread ends right after its lookup; give it a moment to finish exiting.
    let returned = Instant::now();
    while thread_count() > before && returned.elapsed() < Duration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        thread_count(),
        before,
        "threads still running {:?} after the call returned",
        returned.elapsed()
    );
}
