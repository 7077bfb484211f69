//! Faults: given per request (`?fault=SPEC`) or for every route (`--fault SPEC`).

mod support;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

fn faulted_tlspc(emulator: &Emulator, spec: &str) -> Response {
    emulator.post(
        &format!("{}?fault={spec}", tlspc_path()),
        FORM,
        &tlspc_form(&valid_jwt("svc")),
    )
}

#[test]
fn error_status_faults_answer_with_an_envelope() {
    let emulator = Emulator::start(&["--no-https"]);
    for (spec, status, retry_after) in [
        ("status=502", 502, None),
        ("429=7", 429, Some("7")),
        ("503=2", 503, Some("2")),
    ] {
        let response = faulted_tlspc(&emulator, spec);
        assert_eq!(
            (response.status, response.header("retry-after")),
            (status, retry_after),
            "{spec}"
        );
        assert!(!response.envelope_message().is_empty());
    }
}

#[test]
fn error_body_faults_have_their_shapes() {
    let emulator = Emulator::start(&["--no-https"]);
    let oauth = faulted_tlspc(&emulator, "oauth-error");
    assert_eq!(
        (oauth.status, oauth.json()["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let html = faulted_tlspc(&emulator, "html");
    assert_eq!(html.status, 500);
    assert!(html
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(html.text().contains("<html>"));
    let plain = faulted_tlspc(&emulator, "plain");
    assert_eq!(
        (plain.status, plain.text().as_str()),
        (400, "Bad request: malformed form body")
    );
    assert!(plain
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let empty = faulted_tlspc(&emulator, "empty");
    assert_eq!((empty.status, empty.body.len()), (500, 0));
}

#[test]
fn success_shaped_faults_break_one_thing() {
    let emulator = Emulator::start(&["--no-https"]);
    let invalid = faulted_tlspc(&emulator, "invalid-json");
    assert_eq!(
        (invalid.status, invalid.header("content-type")),
        (200, Some(JSON))
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&invalid.body).is_err());
    let missing = faulted_tlspc(&emulator, "missing-token").json();
    assert!(missing.get("access_token").is_none() && missing["token_type"] == "Bearer");
    assert_eq!(
        faulted_tlspc(&emulator, "wrong-type").json()["token_type"],
        "MAC"
    );
    assert_eq!(
        faulted_tlspc(&emulator, "bad-expiry").json()["expires_in"],
        0
    );
    let huge = faulted_tlspc(&emulator, "huge");
    assert_eq!(huge.body.len(), 2 * 1024 * 1024);
    assert!(huge.json()["access_token"].is_string());
    // On Armor routes the body is Armor-shaped.
    let armor = emulator
        .post_json("/auth/token?fault=bad-expiry", &json!({}))
        .json();
    assert_eq!(armor["expires_in"], 0);
    assert!(armor["id_token"].is_string());
}

#[test]
fn delay_waits_then_answers_normally() {
    let emulator = Emulator::start(&["--no-https"]);
    let started = Instant::now();
    let response = faulted_tlspc(&emulator, "delay=300");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status, 200, "{}", response.text());
}

#[test]
fn hang_keeps_the_connection_open_without_answering() {
    let emulator = Emulator::start(&["--no-https"]);
    let request = request_bytes("POST", "/auth/token?fault=hang", &[], b"{}");
    let received = emulator.send_with_timeout(&request, Duration::from_millis(700));
    assert!(received.bytes.is_empty());
    assert!(
        matches!(
            received.error,
            Some(ErrorKind::WouldBlock | ErrorKind::TimedOut)
        ),
        "{:?}",
        received.error
    );
}

#[test]
fn drop_closes_the_connection_without_answering() {
    let emulator = Emulator::start(&["--no-https"]);
    let received = emulator.send(&request_bytes("POST", "/auth/token?fault=drop", &[], b"{}"));
    assert!(received.bytes.is_empty());
    assert_ne!(
        received.error,
        Some(ErrorKind::WouldBlock),
        "the connection stayed open"
    );
}

#[test]
fn reset_cuts_the_body_short_of_its_content_length() {
    let emulator = Emulator::start(&["--no-https"]);
    let received = emulator.send(&request_bytes(
        "POST",
        "/auth/token?fault=reset",
        &[],
        b"{}",
    ));
    let response = received.partial_response();
    assert_eq!(response.status, 200);
    let announced: usize = response.header("content-length").unwrap().parse().unwrap();
    assert!(
        !response.body.is_empty() && response.body.len() < announced,
        "{} of {announced}",
        response.body.len()
    );
}

#[test]
fn count_limits_a_fault_per_spec_and_path() {
    let emulator = Emulator::start(&["--no-https"]);
    let statuses: Vec<u16> = (0..3)
        .map(|_| faulted_tlspc(&emulator, "503=1*2").status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
    let other_path = emulator.post_json(
        "/auth/authorize?fault=503=1*2",
        &json!({ "username": "u", "password": "p" }),
    );
    assert_eq!(other_path.status, 503, "the count is per path");
    assert_eq!(
        faulted_tlspc(&emulator, "503=1*3").status,
        503,
        "the count is per spec"
    );
    assert_eq!(emulator.requests_to("/v1/oauth2/v2.0/{tenant}/token"), 4);
}

#[test]
fn global_fault_applies_everywhere_and_a_request_fault_wins() {
    let emulator = Emulator::start(&["--no-https", "--fault", "status=502*2"]);
    assert_eq!(
        emulator
            .post(&tlspc_path(), FORM, &tlspc_form(&valid_jwt("svc")))
            .status,
        502
    );
    assert_eq!(faulted_tlspc(&emulator, "empty").status, 500);
    assert_eq!(
        emulator
            .post(&tlspc_path(), FORM, &tlspc_form(&valid_jwt("svc")))
            .status,
        502
    );
    assert_eq!(
        emulator
            .post(&tlspc_path(), FORM, &tlspc_form(&valid_jwt("svc")))
            .status,
        200
    );
    assert_eq!(
        emulator.post_json("/auth/authorize", &json!({})).status,
        502
    );
    assert_eq!(
        emulator.get("/_emulator/stats").status,
        200,
        "statistics are never faulted"
    );
}

#[test]
fn invalid_spec_is_a_400_naming_the_problem() {
    let emulator = Emulator::start(&["--no-https"]);
    for (spec, problem) in [
        ("teapot", "unknown mode"),
        ("status=700", "status"),
        ("hang*0", "COUNT"),
    ] {
        let response = faulted_tlspc(&emulator, spec);
        assert_eq!(response.status, 400);
        let message = response.envelope_message();
        assert!(
            message.contains(spec) && message.contains(problem),
            "{spec}: {message}"
        );
    }
}
