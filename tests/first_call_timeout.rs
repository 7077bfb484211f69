//! The timeout covers the whole call, also the first call with a NULL configuration, which
//! makes the default configuration (TLS set-up with the system's CAs, the first lane's runtime
//! and client) before it can send anything. This binary holds this one test so that its call is
//! the process's first with a NULL configuration.

mod common;

use common::*;
use native_token::nt_result;
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A late wake-up on a busy machine: less than making the default configuration takes, which
/// the call used to spend outside its timeout.
const TOLERANCE: Duration = Duration::from_millis(25);

#[test]
fn the_first_call_with_a_null_configuration_keeps_its_timeout() {
    // A server that never answers: the connection is accepted by the kernel, nobody reads it.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!(
        "http://{}/v1/oauth2/v2.0/{TENANT}/token",
        listener.local_addr().expect("address")
    );
    let jwt = fresh_jwt();
    let timeout = Duration::from_millis(300);

    let started = Instant::now();
    let failure = vc_fetch(&endpoint, &jwt, timeout.as_millis() as u32).unwrap_err();
    let took = started.elapsed();

    assert_eq!(failure.result, nt_result::NT_TIMEOUT, "{failure:?}");
    assert!(
        took >= timeout && took < timeout + TOLERANCE,
        "a call with a {timeout:?} timeout took {took:?}"
    );
    drop(listener);
}
