//! Every success path over plain HTTP to the emulator, through the C ABI.

mod common;

use common::*;

/// Unix ms now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn tlspc_token_over_http() {
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let before = now_ms();
    let token = vc_fetch(&emulator.vc_endpoint(), &jwt, 0).expect("a token");
    let after = now_ms();

    assert!(!token.access_token.is_empty());
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.scope, "certificate:discover,manage,request,revoke");
    assert_eq!(token.id_token, "");
    assert_eq!(token.endpoint, emulator.vc_endpoint());
    assert_eq!(token.jwt, jwt);
    assert_eq!(token.expires_in, 3600);
    assert!((before + 3_600_000..=after + 3_600_000).contains(&token.expires_at_unix_ms));
    let answer: serde_json::Value = serde_json::from_str(&token.response_json).expect("JSON");
    assert_eq!(answer["access_token"], token.access_token.as_str());
    assert!(
        token.trace.starts_with("attempt 1: POST http://127.0.0.1:"),
        "{}",
        token.trace
    );
    assert_contains(&token.trace, "-> HTTP 200 OK");
    assert_no_secret(&token.trace, &[&jwt, &token.access_token]);
    assert_eq!(emulator.requests(VC_ROUTE), 1);
}

#[test]
fn tlspc_tokens_are_new_each_call() {
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let first = vc_fetch(&emulator.vc_endpoint(), &jwt, 0).expect("a token");
    let second = vc_fetch(&emulator.vc_endpoint(), &jwt, 0).expect("a token");
    assert_ne!(first.access_token, second.access_token);
    assert_eq!(emulator.requests(VC_ROUTE), 2);
}

#[test]
fn tlspc_endpoint_may_name_localhost() {
    let emulator = Emulator::start();
    let endpoint = emulator.vc_endpoint().replace("127.0.0.1", "localhost");
    let token = vc_fetch(&endpoint, &fresh_jwt(), 0).expect("a token");
    assert_eq!(token.endpoint, endpoint);
}

#[test]
fn jwt_without_exp_is_sent() {
    // The library does not require exp; the emulator does, and says so.
    let emulator = Emulator::start();
    let encode = |json: &str| base64::encode_config(json, base64::URL_SAFE_NO_PAD);
    let jwt = format!(
        "{}.{}.c2ln",
        encode(r#"{"alg":"RS256"}"#),
        encode(r#"{"sub":"no-exp"}"#)
    );
    let failure = vc_fetch(&emulator.vc_endpoint(), &jwt, 0).unwrap_err();
    assert_eq!(failure.status, 400);
    assert_contains(&failure.message, "numeric exp");
    assert_eq!(emulator.requests(VC_ROUTE), 1);
}

#[test]
fn armor_code_redeemed_and_reissued() {
    let emulator = Emulator::start();
    let code = emulator.armor_code();
    let before = now_ms();
    // The help's default casing; sent as authorization_code.
    let token = armor_fetch(&emulator.http, &code, "Authorization_code", 0).expect("a token");
    let after = now_ms();
    assert_eq!(token.access_token.len(), 32);
    assert_eq!(token.id_token.len(), 600);
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in, 15);
    assert!((before + 15 * 60_000..=after + 15 * 60_000).contains(&token.expires_at_unix_ms));
    assert_eq!(token.endpoint, format!("{}/auth/token", emulator.http));
    assert_eq!(token.jwt, "");
    assert_no_secret(&token.trace, &[&code, &token.access_token]);

    let reissued = armor_reissue(&emulator.http, &token.access_token, 0).expect("a new token");
    assert_ne!(reissued.access_token, token.access_token);
    assert_eq!(
        reissued.endpoint,
        format!("{}/auth/token/reissue", emulator.http)
    );
    assert_eq!(reissued.expires_in, 15);
    assert_eq!(emulator.requests(ARMOR_TOKEN_ROUTE), 1);
    assert_eq!(emulator.requests(ARMOR_REISSUE_ROUTE), 1);

    // The emulator revokes a token when it is reissued, as Armor does.
    let failure = armor_reissue(&emulator.http, &token.access_token, 0).unwrap_err();
    assert_eq!(
        (failure.result, failure.status),
        (native_token::nt_result::NT_HTTP_STATUS, 403)
    );
    assert!(
        failure
            .message
            .ends_with("/auth/token/reissue: Invalid token"),
        "{}",
        failure.message
    );
    assert_failure_has_no_secret(&failure, &[&token.access_token]);
}

#[test]
fn armor_base_url_may_have_a_trailing_slash() {
    let emulator = Emulator::start();
    let token = armor_fetch(
        &format!("{}/", emulator.http),
        &emulator.armor_code(),
        "authorization_code",
        0,
    )
    .expect("a token");
    assert_eq!(token.endpoint, format!("{}/auth/token", emulator.http));
}

#[test]
fn many_calls_in_a_row_are_quick() {
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let started = std::time::Instant::now();
    for _ in 0..200 {
        vc_fetch(&emulator.vc_endpoint(), &jwt, 0).expect("a token");
    }
    assert_eq!(emulator.requests(VC_ROUTE), 200);
    // Generous for a shared machine; what it catches is seconds per call (a runtime or client
    // built per call, a lost connection pool stalling on setup).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
