//! The default timeout comes from NATIVETOKEN_TIMEOUT_SEC when a call passes 0. Setting the
//! variable while other threads read the environment is unsound, so this binary has one test.

mod common;

use common::*;
use native_token::nt_result;
use std::time::{Duration, Instant};

#[test]
fn zero_timeout_means_the_environment_default() {
    std::env::set_var("NATIVETOKEN_TIMEOUT_SEC", "1.5");
    let emulator = Emulator::start();
    let started = Instant::now();
    let failure = vc_fetch(&emulator.vc_endpoint_with_fault("hang"), &fresh_jwt(), 0).unwrap_err();
    let took = started.elapsed();
    assert_eq!(failure.result, nt_result::NT_TIMEOUT);
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_millis(2_500),
        "{took:?}"
    );
    assert!(
        failure.message.contains("within 1.50 s"),
        "{}",
        failure.message
    );

    // A call's own timeout wins over the variable.
    let started = Instant::now();
    let failure =
        vc_fetch(&emulator.vc_endpoint_with_fault("hang"), &fresh_jwt(), 500).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_TIMEOUT);
    assert!(started.elapsed() < Duration::from_millis(1_400));
}
