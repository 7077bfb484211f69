//! Retries: on 429/503 (honouring Retry-After) and on connections that fail before an answer,
//! at most two, never past the deadline; checked by the emulator's request counts and the trace.
//! Each test has its own emulator, so the counts are its own.

mod common;

use common::*;
use native_token::nt_result;
use std::time::{Duration, Instant};

/// What `call` returned, and how long it took.
fn timed<T>(call: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    (call(), started.elapsed())
}

#[test]
fn retry_after_429_is_honoured() {
    let emulator = Emulator::start();
    let (token, took) =
        timed(|| vc_fetch_with_fault(&emulator, "429=1*1", 10_000).expect("a token"));
    assert_eq!(emulator.requests(VC_ROUTE), 2);
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(2_500),
        "{took:?}"
    );
    let lines: Vec<&str> = token.trace.lines().collect();
    assert_eq!(lines.len(), 3, "{}", token.trace);
    assert!(
        lines[0].starts_with("attempt 1: POST ")
            && lines[0].contains("-> HTTP 429 Too Many Requests")
    );
    assert!(
        lines[1].starts_with("retrying in 1")
            && lines[1].contains("because the server sent Retry-After: 1")
            && !lines[1].contains("capped"),
        "{}",
        lines[1]
    );
    assert!(lines[2].starts_with("attempt 2: POST ") && lines[2].contains("-> HTTP 200 OK"));
}

#[test]
fn transient_failures_are_retried_until_an_answer() {
    // The fault, the requests it takes, and what the trace says.
    for (fault, requests, said) in [
        // Two 503s, then success.
        ("503=0*2", 3, "attempt 3: POST"),
        // A connection dropped before an answer.
        ("drop*1", 2, "because ConnectionReset is transient"),
    ] {
        let emulator = Emulator::start();
        let token = vc_fetch_with_fault(&emulator, fault, 10_000).expect(fault);
        assert_eq!(emulator.requests(VC_ROUTE), requests, "{fault}");
        assert_contains(&token.trace, said);
    }
}

#[test]
fn at_most_two_retries() {
    let emulator = Emulator::start();
    let failure = vc_fetch_with_fault(&emulator, "503=0", 10_000).unwrap_err();
    assert_eq!(
        (failure.result, failure.status),
        (nt_result::NT_HTTP_STATUS, 503)
    );
    assert_eq!(emulator.requests(VC_ROUTE), 3);
    assert!(
        failure
            .trace
            .ends_with("not retried: 2 retries made already"),
        "{}",
        failure.trace
    );
}

#[test]
fn no_retry_on_other_statuses() {
    let emulator = Emulator::start();
    for fault in ["status=500", "status=502", "oauth-error"] {
        let failure = vc_fetch_with_fault(&emulator, fault, 10_000).unwrap_err();
        assert_eq!(failure.result, nt_result::NT_HTTP_STATUS);
        assert_eq!(failure.trace.lines().count(), 1, "{}", failure.trace);
    }
    assert_eq!(emulator.requests(VC_ROUTE), 3);
}

#[test]
fn no_retry_past_the_deadline() {
    let emulator = Emulator::start();
    let (failure, took) = timed(|| vc_fetch_with_fault(&emulator, "429=3", 2_000).unwrap_err());
    assert!(
        took < Duration::from_secs(1),
        "answered at once, not after waiting"
    );
    assert_eq!(
        (failure.result, failure.status),
        (nt_result::NT_HTTP_STATUS, 429)
    );
    assert_contains(&failure.trace, "would pass the timeout");
    assert_eq!(emulator.requests(VC_ROUTE), 1);
}

#[test]
fn retry_after_is_capped_at_five_seconds_and_the_trace_says_so() {
    let emulator = Emulator::start();
    let (token, took) =
        timed(|| vc_fetch_with_fault(&emulator, "503=10*1", 15_000).expect("a token"));
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(7),
        "{took:?}"
    );
    // "retrying in 5.70 s because the server sent Retry-After: 10 (capped at 5 s, plus 700 ms
    // of jitter)": what the server sent, and what the cap and the jitter made of it.
    let line = token.trace.lines().nth(1).expect("a retry line");
    let (wait, reason) = line
        .strip_prefix("retrying in ")
        .and_then(|rest| rest.split_once(" s because "))
        .unwrap_or_else(|| panic!("{line}"));
    let wait: f64 = wait.parse().unwrap_or_else(|_| panic!("{line}"));
    assert!((5.0..=6.25).contains(&wait), "{line}");
    assert!(
        took.as_secs_f64() >= wait,
        "waited as said: {took:?}, {line}"
    );
    let adjustments = reason
        .strip_prefix("the server sent Retry-After: 10 (capped at 5 s")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line}"));
    let jitter_s = match adjustments.strip_prefix(", plus ") {
        None if adjustments.is_empty() => 0.0,
        None => panic!("{line}"),
        Some(jitter) => match jitter.strip_suffix(" ms of jitter") {
            Some(ms) => ms.parse::<f64>().unwrap_or_else(|_| panic!("{line}")) / 1000.0,
            None => jitter
                .strip_suffix(" s of jitter")
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("{line}")),
        },
    };
    assert!((wait - 5.0 - jitter_s).abs() < 0.006, "{line}");
}

#[test]
fn connection_reset_mid_answer_is_not_retried() {
    let emulator = Emulator::start();
    let failure = vc_fetch_with_fault(&emulator, "reset*1", 10_000).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_CONNECTION_RESET);
    assert_eq!(emulator.requests(VC_ROUTE), 1);
}

#[test]
fn refused_connections_are_retried_with_backoff() {
    let endpoint = format!(
        "http://127.0.0.1:{}/v1/oauth2/v2.0/{TENANT}/token",
        closed_port()
    );
    let (failure, took) = timed(|| vc_fetch(&endpoint, &fresh_jwt(), 10_000).unwrap_err());
    assert_eq!(failure.result, nt_result::NT_CONNECT_FAILED);
    // 100 ms, then 200 ms, each with up to a quarter more.
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1_000),
        "{took:?}"
    );
    assert_eq!(
        failure.trace.matches("attempt ").count(),
        3,
        "{}",
        failure.trace
    );
}

#[test]
fn armor_calls_retry_too() {
    let emulator = Emulator::start();
    let base = format!("{}/?fault=503=0*1", emulator.http);
    let token = armor_redeem(&emulator, &base).expect("a token");
    assert_eq!(emulator.requests(ARMOR_TOKEN_ROUTE), 2);
    let base = format!("{}/?fault=429=0*1", emulator.http);
    armor_reissue(&base, &token.access_token, 10_000).expect("a new token");
    assert_eq!(emulator.requests(ARMOR_REISSUE_ROUTE), 2);
}
