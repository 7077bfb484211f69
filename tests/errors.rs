//! Every error kind a token call can produce, through the C ABI, with checks that no secret
//! reaches a message or trace. This binary trusts only the system CAs, so the emulator's HTTPS
//! listener is untrusted here.

mod common;

use common::*;
use native_token::nt_result;
use std::time::{Duration, Instant};

/// A code of the right shape (base64 of 32 bytes), not issued by anyone.
const CODE: &str = "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo=";

/// Fetches from the emulator with a fault and returns the failure, checked for the JWT.
fn vc_failure(emulator: &Emulator, fault: &str) -> Failure {
    let jwt = fresh_jwt();
    let failure = vc_fetch(&emulator.vc_endpoint_with_fault(fault), &jwt, 10_000).unwrap_err();
    assert_failure_has_no_secret(&failure, &[&jwt]);
    failure
}

#[test]
fn invalid_url_shows_the_expected_form() {
    let jwt = fresh_jwt();
    for endpoint in [
        "not a url",
        "api.venafi.cloud/v1/oauth2/v2.0/x/token",
        "ftp://host/token",
        "https://",
    ] {
        let failure = vc_fetch(endpoint, &jwt, 0).unwrap_err();
        assert_eq!(failure.result, nt_result::NT_INVALID_URL, "{endpoint}");
        assert!(failure
            .message
            .contains("https://api.venafi.cloud/v1/oauth2/v2.0/<tenant-guid>/token"));
        assert_failure_has_no_secret(&failure, &[&jwt]);
    }
    // A JWT pasted as the endpoint is not echoed.
    let failure = vc_fetch(&jwt, &jwt, 0).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_INVALID_URL);
    assert_failure_has_no_secret(&failure, &[&jwt]);
    let failure = armor_fetch("api.armor.com", CODE, "authorization_code", 0).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_INVALID_URL);
    assert_contains(&failure.message, "https://api.armor.com:443");
}

#[test]
fn insecure_url_names_https() {
    let failure = vc_fetch(
        "http://api.venafi.cloud/v1/oauth2/v2.0/x/token",
        &fresh_jwt(),
        0,
    )
    .unwrap_err();
    assert_eq!(failure.result, nt_result::NT_INSECURE_URL);
    assert_contains(&failure.message, "https");
    let failure = armor_reissue(
        "http://10.1.2.3:8080",
        "2261bac252204c2ea93ed32ea1ffd3ab",
        0,
    )
    .unwrap_err();
    assert_eq!(failure.result, nt_result::NT_INSECURE_URL);
    assert_failure_has_no_secret(&failure, &["2261bac252204c2ea93ed32ea1ffd3ab"]);
}

#[test]
fn malformed_jwt_is_refused_before_sending() {
    let emulator = Emulator::start();
    for jwt in ["a.b", "only-one-part", "x.y.z", "e30.e30.", "W10.e30.c2ln"] {
        let failure = vc_fetch(&emulator.vc_endpoint(), jwt, 0).unwrap_err();
        assert_eq!(failure.result, nt_result::NT_MALFORMED_JWT, "{jwt}");
    }
    assert_eq!(emulator.requests(VC_ROUTE), 0);
}

#[test]
fn expired_jwt_is_refused_before_sending_with_its_expiry() {
    let emulator = Emulator::start();
    // 2026-11-23T14:05:00Z
    let jwt = jwt_expiring_at(1_795_442_700);
    let now = now_unix_s();
    assert!(
        now > 1_795_442_700,
        "this test assumes a clock after its example date"
    );
    let failure = vc_fetch(&emulator.vc_endpoint(), &jwt, 0).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_EXPIRED_JWT);
    assert_contains(&failure.message, "2026-11-23T14:05:00Z");
    assert_failure_has_no_secret(&failure, &[&jwt]);
    let failure = vc_fetch(&emulator.vc_endpoint(), &jwt_expiring_at(now - 1), 0).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_EXPIRED_JWT);
    assert_eq!(
        emulator.requests(VC_ROUTE),
        0,
        "no request for an expired JWT"
    );
    assert_eq!(failure.trace, "");
}

#[test]
fn http_status_carries_the_service_message() {
    let emulator = Emulator::start();
    let prefix = format!("{}/v1/oauth2/v2.0/{TENANT}/token: ", emulator.http);
    for (fault, status, text) in [
        ("status=500", 500, "HTTP 500 Internal Server Error from "),
        ("oauth-error", 401, "HTTP 401 Unauthorized from "),
        ("html", 500, "HTTP 500 Internal Server Error from "),
        ("plain", 400, "HTTP 400 Bad Request from "),
        ("empty", 500, "HTTP 500 Internal Server Error from "),
        ("status=418", 418, "HTTP 418 I'm a teapot from "),
    ] {
        let failure = vc_failure(&emulator, fault);
        assert_eq!(
            (failure.result, failure.status),
            (nt_result::NT_HTTP_STATUS, status),
            "{fault}"
        );
        assert!(
            failure.message.starts_with(&format!("{text}{prefix}")),
            "{fault}: {}",
            failure.message
        );
    }
    let message_of = |fault| vc_failure(&emulator, fault).message.replace(&prefix, "");
    assert!(message_of("oauth-error").ends_with("invalid_client: Client authentication failed"));
    assert!(message_of("html").ends_with(
        "500 Internal Server Error Internal Server Error The server encountered an internal error."
    ));
    assert!(message_of("plain").ends_with("Bad request: malformed form body"));
    assert!(message_of("empty").ends_with("the response body was empty"));
    assert!(
        message_of("status=500").ends_with("Internal Server Error (code 500)"),
        "{}",
        message_of("status=500")
    );

    // The emulator's own checks, as the real service makes them.
    let wrong_tenant = format!("{}/v1/oauth2/v2.0/not-a-guid/token", emulator.http);
    let failure = vc_fetch(&wrong_tenant, &fresh_jwt(), 0).unwrap_err();
    assert_eq!(failure.status, 404);
    assert_contains(&failure.message, "Tenant not found");
    let failure = armor_fetch(&emulator.http, "not-base64", "authorization_code", 0).unwrap_err();
    assert_eq!(
        (failure.result, failure.status),
        (nt_result::NT_HTTP_STATUS, 400)
    );
    assert!(
        failure
            .message
            .ends_with("/auth/token: Invalid authorization code"),
        "{}",
        failure.message
    );
}

#[test]
fn timeout_is_kept_and_reported() {
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let started = Instant::now();
    let failure = vc_fetch(&emulator.vc_endpoint_with_fault("hang"), &jwt, 1_000).unwrap_err();
    let took = started.elapsed();
    assert_eq!(failure.result, nt_result::NT_TIMEOUT);
    assert!(
        took >= Duration::from_millis(1_000) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_contains(&failure.message, "within 1 s");
    assert!(
        failure
            .trace
            .contains("no complete answer before the timeout"),
        "{}",
        failure.trace
    );
    assert_failure_has_no_secret(&failure, &[&jwt]);
    // A slow answer that still fits is no timeout.
    assert!(vc_fetch(&emulator.vc_endpoint_with_fault("delay=300"), &jwt, 2_000).is_ok());
}

#[test]
fn connect_failed_on_a_closed_port() {
    let jwt = fresh_jwt();
    let endpoint = format!(
        "http://127.0.0.1:{}/v1/oauth2/v2.0/{TENANT}/token",
        closed_port()
    );
    let failure = vc_fetch(&endpoint, &jwt, 5_000).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_CONNECT_FAILED);
    assert_contains(&failure.message, "could not connect");
    assert_failure_has_no_secret(&failure, &[&jwt]);
}

#[test]
fn dns_failed_for_an_unknown_host() {
    let jwt = fresh_jwt();
    let failure = vc_fetch(
        "https://no-such-host.invalid/v1/oauth2/v2.0/x/token",
        &jwt,
        10_000,
    )
    .unwrap_err();
    assert_kind(&failure, nt_result::NT_DNS_FAILED);
    assert_contains(&failure.message, "no-such-host.invalid");
    assert_failure_has_no_secret(&failure, &[&jwt]);
}

#[test]
fn connection_reset_mid_answer_and_before_it() {
    let emulator = Emulator::start();
    let failure = vc_failure(&emulator, "reset");
    assert_kind(&failure, nt_result::NT_CONNECTION_RESET);
    let failure = vc_failure(&emulator, "drop");
    assert_kind(&failure, nt_result::NT_CONNECTION_RESET);
}

#[test]
fn tls_failed_for_an_untrusted_certificate() {
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let endpoint = format!("{}/v1/oauth2/v2.0/{TENANT}/token", emulator.https);
    let failure = vc_fetch(&endpoint, &jwt, 10_000).unwrap_err();
    assert_kind(&failure, nt_result::NT_TLS_FAILED);
    assert_contains(&failure.message, "certificate");
    assert_contains(&failure.message, "SSL_CERT_FILE=/path/ca.pem");
    assert_failure_has_no_secret(&failure, &[&jwt]);
    assert_eq!(emulator.requests(VC_ROUTE), 0);
}

#[test]
fn invalid_response_for_answers_that_are_not_tokens() {
    let emulator = Emulator::start();
    for (fault, text) in [
        ("invalid-json", "not a JSON object"),
        ("missing-token", "no access_token"),
        ("wrong-type", "token_type is not Bearer"),
        ("bad-expiry", "expires_in is not a positive whole number"),
        ("huge", "larger than 1 MiB"),
    ] {
        let failure = vc_failure(&emulator, fault);
        assert_eq!(failure.result, nt_result::NT_INVALID_RESPONSE, "{fault}");
        assert!(
            failure.message.contains(text),
            "{fault}: {}",
            failure.message
        );
        assert!(
            failure.trace.contains("HTTP 200 OK"),
            "{fault}: {}",
            failure.trace
        );
    }
    let failure = vc_failure(&emulator, "status=204");
    assert_eq!(failure.result, nt_result::NT_INVALID_RESPONSE);
    assert_contains(&failure.message, "expected HTTP 200");
}

#[test]
fn armor_failures_never_show_the_code() {
    let emulator = Emulator::start();
    let base = format!("{}/?fault=missing-token", emulator.http);
    let failure = armor_fetch(&base, CODE, "authorization_code", 0).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_INVALID_RESPONSE);
    assert_failure_has_no_secret(&failure, &[CODE]);
    let failure = armor_fetch(&emulator.http, CODE, "client_credentials", 0).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_INVALID_ARGUMENT);
    assert!(failure.message.contains("authorization_code"));
    // The code in the grant type's place is not echoed either.
    let failure = armor_fetch(&emulator.http, "authorization_code", CODE, 0).unwrap_err();
    assert_failure_has_no_secret(&failure, &[CODE]);
    assert_eq!(emulator.requests(ARMOR_TOKEN_ROUTE), 1);
}

#[test]
fn echoed_jwt_is_redacted() {
    let server = EchoServer::start();
    let jwt = fresh_jwt();
    let failure = vc_fetch(&format!("{}/token", server.base), &jwt, 10_000).unwrap_err();
    assert_eq!(
        (failure.result, failure.status),
        (nt_result::NT_HTTP_STATUS, 401)
    );
    assert!(failure
        .message
        .contains("invalid_client: rejected grant_type=client_credentials"));
    assert_contains(&failure.message, "client_assertion=[redacted]");
    assert_failure_has_no_secret(&failure, &[&jwt]);
}

#[test]
fn echoed_code_is_redacted() {
    let server = EchoServer::start();
    let failure = armor_fetch(&server.base, CODE, "authorization_code", 10_000).unwrap_err();
    assert_eq!(failure.status, 401);
    assert!(
        failure
            .message
            .contains(r#"{"code":"[redacted]","grant_type":"authorization_code"}"#),
        "{}",
        failure.message
    );
    assert_failure_has_no_secret(&failure, &[CODE]);
}

#[test]
fn echoed_access_token_is_redacted() {
    let server = EchoServer::start();
    let access_token = "2261bac252204c2ea93ed32ea1ffd3ab";
    let failure = armor_reissue(&server.base, access_token, 10_000).unwrap_err();
    assert_contains(&failure.message, r#"{"token":"[redacted]"}"#);
    assert_failure_has_no_secret(&failure, &[access_token]);
}
