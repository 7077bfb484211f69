//! Cancellation: a call watching an `nt_cancel` returns NT_CANCELLED promptly when it is
//! triggered from another thread, changes no session, and leaves the configuration's pool
//! usable; a call given a triggered cancellation makes no request.

mod common;

use common::*;
use native_token::nt_result;
use std::ptr;
use std::time::{Duration, Instant};

/// Triggers `cancel` from another thread after `delay`.
fn trigger_later(cancel: &TestCancel, delay: Duration) -> std::thread::JoinHandle<()> {
    let cancel = cancel.0 as usize;
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let cancel = cancel as *const native_token::Cancel;
        assert_eq!(
            unsafe { native_token::nt_cancel_trigger(cancel) },
            nt_result::NT_OK
        );
    })
}

#[test]
fn a_call_waiting_on_a_silent_server_stops_when_cancelled() {
    let emulator = Emulator::start();
    let cancel = TestCancel::new();
    let jwt = fresh_jwt();
    let trigger = trigger_later(&cancel, Duration::from_millis(300));
    let started = Instant::now();

    let failure = vc_fetch_with(
        ptr::null(),
        cancel.0,
        &emulator.vc_endpoint_with_fault("hang"),
        &jwt,
        30_000,
    )
    .unwrap_err();

    let took = started.elapsed();
    trigger.join().unwrap();
    assert_eq!(failure.result, nt_result::NT_CANCELLED);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_contains(&failure.message, "was cancelled");
    assert_contains(&failure.trace, "cancelled while waiting");
    assert_failure_has_no_secret(&failure, &[&jwt]);
    // The next call, on the same (default) configuration, works.
    vc_fetch(&emulator.vc_endpoint(), &jwt, 10_000).expect("a token after the cancellation");
}

#[test]
fn a_triggered_cancellation_stops_a_call_before_any_request() {
    let emulator = Emulator::start();
    let cancel = TestCancel::new();
    cancel.trigger();
    cancel.trigger();
    let failure = vc_fetch_with(
        ptr::null(),
        cancel.0,
        &emulator.vc_endpoint(),
        &fresh_jwt(),
        0,
    )
    .unwrap_err();
    assert_eq!(failure.result, nt_result::NT_CANCELLED);
    assert_eq!(emulator.requests(VC_ROUTE), 0);
}

#[test]
fn a_cancelled_begin_or_retry_wait_leaves_the_session_as_it_was() {
    let emulator = Emulator::start();
    let (session, jwt) = TestSession::begun(&emulator);

    // Cancelled while waiting for the server's Retry-After (5 s) before a retry.
    let cancel = TestCancel::new();
    let trigger = trigger_later(&cancel, Duration::from_millis(300));
    let started = Instant::now();
    let failure = session
        .begin_with(
            ptr::null(),
            cancel.0,
            &emulator.vc_endpoint_with_fault("503=5"),
            &fresh_jwt(),
            30_000,
        )
        .unwrap_err();
    trigger.join().unwrap();
    assert_eq!(failure.result, nt_result::NT_CANCELLED);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_contains(&failure.trace, "retrying in");

    let refreshed = session.refresh().expect("the old session refreshes");
    assert_requested_with(&refreshed, &emulator.vc_endpoint(), &jwt);
}

#[test]
fn cancelling_one_call_leaves_other_calls_on_the_configuration_alone() {
    let emulator = Emulator::start();
    let config = TestConfig::new(|_| {}).expect("a configuration");
    let jwt = fresh_jwt();
    // A pooled connection exists before the cancellation.
    vc_fetch_with(config.0, ptr::null(), &emulator.vc_endpoint(), &jwt, 10_000).expect("warm");
    let config_address = config.0 as usize;
    let cancel = TestCancel::new();
    std::thread::scope(|scope| {
        let trigger = trigger_later(&cancel, Duration::from_millis(200));
        let hanging = scope.spawn(|| {
            let config = config_address as *const native_token::Config;
            vc_fetch_with(
                config,
                cancel.ptr(),
                &emulator.vc_endpoint_with_fault("hang"),
                &jwt,
                30_000,
            )
            .unwrap_err()
            .result
        });
        // Meanwhile other calls on the same configuration go on.
        for _ in 0..5 {
            vc_fetch_with(config.0, ptr::null(), &emulator.vc_endpoint(), &jwt, 10_000)
                .expect("a token beside the hanging call");
        }
        assert_eq!(hanging.join().unwrap(), nt_result::NT_CANCELLED);
        trigger.join().unwrap();
    });
    vc_fetch_with(config.0, ptr::null(), &emulator.vc_endpoint(), &jwt, 10_000)
        .expect("a token after the cancellation");
}
