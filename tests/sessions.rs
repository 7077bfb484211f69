//! The process-wide session store through the C ABI: begin/set/refresh/read/clear, failures
//! that leave it untouched, NoSession, and 16 threads at once. The store is shared by the whole
//! test binary, so these tests take turns.

mod common;

use common::*;
use native_token::*;
use std::sync::{Mutex, MutexGuard};

static STORE_IN_USE: Mutex<()> = Mutex::new(());

/// Exclusive use of the store, starting empty.
fn exclusive_store() -> MutexGuard<'static, ()> {
    let guard = STORE_IN_USE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    assert_eq!(nt_session_clear(), nt_result::NT_OK);
    guard
}

fn vc_begin(endpoint: &str, jwt: &str) -> Result<TokenView, Failure> {
    let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
    token_call(|out| unsafe {
        nt_vc_session_begin(endpoint, endpoint_len, jwt, jwt_len, 10_000, out)
    })
}

fn vc_set(endpoint: &str, jwt: &str) -> nt_result {
    let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
    unsafe { nt_vc_session_set(endpoint, endpoint_len, jwt, jwt_len) }
}

fn vc_refresh() -> Result<TokenView, Failure> {
    token_call(|out| unsafe { nt_vc_session_refresh(10_000, out) })
}

fn vc_token() -> Result<TokenView, Failure> {
    token_call(|out| unsafe { nt_vc_session_token(out) })
}

fn vc_endpoint() -> Result<String, Failure> {
    string_call(|out| unsafe { nt_vc_session_endpoint(out) })
}

fn vc_jwt() -> Result<String, Failure> {
    string_call(|out| unsafe { nt_vc_session_jwt(out) })
}

fn vc_expires_at() -> Result<i64, Failure> {
    let mut expires_at = i64::MIN;
    match unsafe { nt_vc_session_expires_at_unix_ms(&mut expires_at) } {
        nt_result::NT_OK => Ok(expires_at),
        failed => {
            assert_eq!(expires_at, i64::MIN, "out-pointer untouched on failure");
            Err(take_failure(failed))
        }
    }
}

fn armor_begin(base_url: &str, code: &str) -> Result<TokenView, Failure> {
    let ((base, base_len), (code, code_len), (grant, grant_len)) =
        (arg(base_url), arg(code), arg("authorization_code"));
    token_call(|out| unsafe {
        nt_armor_session_begin(
            base, base_len, code, code_len, grant, grant_len, 10_000, out,
        )
    })
}

fn armor_reissue() -> Result<TokenView, Failure> {
    token_call(|out| unsafe { nt_armor_session_reissue(10_000, out) })
}

fn armor_token() -> Result<TokenView, Failure> {
    token_call(|out| unsafe { nt_armor_session_token(out) })
}

/// The TLSPC session as (endpoint, JWT, access token or "").
fn vc_snapshot() -> (String, String, String) {
    let token = vc_token()
        .map(|token| token.access_token)
        .unwrap_or_default();
    (
        vc_endpoint().expect("endpoint"),
        vc_jwt().expect("jwt"),
        token,
    )
}

#[test]
fn vc_session_begin_read_refresh() {
    let _store = exclusive_store();
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let begun = vc_begin(&emulator.vc_endpoint(), &jwt).expect("a session");
    assert_eq!(vc_endpoint().unwrap(), emulator.vc_endpoint());
    assert_eq!(vc_jwt().unwrap(), jwt);
    assert_eq!(vc_token().unwrap().access_token, begun.access_token);
    assert_eq!(vc_expires_at().unwrap(), begun.expires_at_unix_ms);

    let refreshed = vc_refresh().expect("a new token");
    assert_ne!(refreshed.access_token, begun.access_token);
    assert_eq!(
        (refreshed.endpoint.as_str(), refreshed.jwt.as_str()),
        (emulator.vc_endpoint().as_str(), jwt.as_str())
    );
    assert_eq!(vc_token().unwrap().access_token, refreshed.access_token);
    assert_eq!(emulator.requests(VC_ROUTE), 2);
}

#[test]
fn vc_session_set_stores_without_a_request() {
    let _store = exclusive_store();
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    assert_eq!(vc_set(&emulator.vc_endpoint(), &jwt), nt_result::NT_OK);
    assert_eq!(emulator.requests(VC_ROUTE), 0);
    assert_eq!(
        vc_snapshot(),
        (emulator.vc_endpoint(), jwt.clone(), String::new())
    );
    assert_eq!(vc_token().unwrap_err().result, nt_result::NT_NO_SESSION);
    assert_eq!(
        vc_expires_at().unwrap_err().result,
        nt_result::NT_NO_SESSION
    );
    let token = vc_refresh().expect("a token");
    assert_eq!(vc_expires_at().unwrap(), token.expires_at_unix_ms);

    // Checked like a fetch, and a refused value leaves the session alone.
    let before = vc_snapshot();
    assert_eq!(
        take_failure(vc_set(&emulator.vc_endpoint(), "a.b")).result,
        nt_result::NT_MALFORMED_JWT
    );
    assert_eq!(
        take_failure(vc_set("http://example.com/t", &jwt)).result,
        nt_result::NT_INSECURE_URL
    );
    assert_eq!(vc_snapshot(), before);
}

#[test]
fn failed_calls_leave_the_session_untouched() {
    let _store = exclusive_store();
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    vc_begin(&emulator.vc_endpoint(), &jwt).expect("a session");
    let before = vc_snapshot();

    let expired = jwt_expiring_at(now_unix_s() - 60);
    assert_eq!(
        vc_begin(&emulator.vc_endpoint(), &expired)
            .unwrap_err()
            .result,
        nt_result::NT_EXPIRED_JWT
    );
    let failing = emulator.vc_endpoint_with_fault("status=500");
    let failure = vc_begin(&failing, &fresh_jwt()).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_HTTP_STATUS);
    assert_eq!(vc_snapshot(), before);

    // A refresh that fails (the service is gone) keeps the old token.
    drop(emulator);
    assert_eq!(
        vc_refresh().unwrap_err().result,
        nt_result::NT_CONNECT_FAILED
    );
    assert_eq!(vc_snapshot(), before);
}

#[test]
fn refresh_with_an_expired_stored_jwt_says_so() {
    let _store = exclusive_store();
    let emulator = Emulator::start();
    let expired = jwt_expiring_at(1_795_442_700);
    assert_eq!(vc_set(&emulator.vc_endpoint(), &expired), nt_result::NT_OK);
    let failure = vc_refresh().unwrap_err();
    assert_eq!(failure.result, nt_result::NT_EXPIRED_JWT);
    assert!(failure.message.contains("2026-11-23T14:05:00Z"));
    assert_failure_has_no_secret(&failure, &[&expired]);
    assert_eq!(emulator.requests(VC_ROUTE), 0);
}

#[test]
fn no_session_until_begun_and_after_clear() {
    let _store = exclusive_store();
    let no_session = |failure: Failure| {
        assert_eq!(failure.result, nt_result::NT_NO_SESSION);
        assert!(
            failure.message.contains("no TLSPC session")
                || failure.message.contains("no Armor session")
        );
    };
    no_session(vc_refresh().unwrap_err());
    no_session(vc_token().unwrap_err());
    no_session(vc_endpoint().unwrap_err());
    no_session(vc_jwt().unwrap_err());
    no_session(vc_expires_at().unwrap_err());
    no_session(armor_reissue().unwrap_err());
    no_session(armor_token().unwrap_err());

    let emulator = Emulator::start();
    vc_begin(&emulator.vc_endpoint(), &fresh_jwt()).expect("a session");
    armor_begin(&emulator.http, &emulator.armor_code()).expect("a session");
    assert_eq!(nt_session_clear(), nt_result::NT_OK);
    no_session(vc_token().unwrap_err());
    no_session(armor_token().unwrap_err());
}

#[test]
fn armor_session_begin_and_reissue() {
    let _store = exclusive_store();
    let emulator = Emulator::start();
    let code = emulator.armor_code();
    let begun = armor_begin(&emulator.http, &code).expect("a session");
    assert_eq!(armor_token().unwrap().access_token, begun.access_token);
    let reissued = armor_reissue().expect("a new token");
    assert_ne!(reissued.access_token, begun.access_token);
    assert_eq!(armor_token().unwrap().access_token, reissued.access_token);
    // The stored token is the live one, so reissuing again works.
    let again = armor_reissue().expect("another token");
    assert_eq!(armor_token().unwrap().access_token, again.access_token);

    // A failed begin (code used in the wrong place) or reissue keeps the session.
    let failure = armor_begin(&emulator.http, "not-a-code").unwrap_err();
    assert_eq!(failure.status, 400);
    drop(emulator);
    assert_eq!(
        armor_reissue().unwrap_err().result,
        nt_result::NT_CONNECT_FAILED
    );
    assert_eq!(armor_token().unwrap().access_token, again.access_token);
}

/// A GUID-shaped tenant for thread `index`, so that each thread has its own endpoint.
fn tenant_for(index: usize) -> String {
    format!("{index:08x}-0000-4000-8000-{index:012x}")
}

#[test]
fn sixteen_threads_never_see_mixed_sessions() {
    let _store = exclusive_store();
    let emulator = Emulator::start();
    let pairs: Vec<(String, String)> = (0..16)
        .map(|index| {
            (
                format!(
                    "{}/v1/oauth2/v2.0/{}/token",
                    emulator.http,
                    tenant_for(index)
                ),
                fresh_jwt(),
            )
        })
        .collect();
    let jwt_of = |endpoint: &str| {
        pairs
            .iter()
            .find(|(known, _)| known == endpoint)
            .map(|(_, jwt)| jwt.clone())
    };
    // A token names the endpoint and JWT it came from: they must be one thread's pair.
    let consistent = |token: &TokenView| {
        assert_eq!(jwt_of(&token.endpoint).as_deref(), Some(token.jwt.as_str()))
    };
    let ok_or_no_session =
        |failure: &Failure| assert_eq!(failure.result, nt_result::NT_NO_SESSION, "{failure:?}");

    std::thread::scope(|scope| {
        for (index, (endpoint, jwt)) in pairs.iter().enumerate() {
            scope.spawn(move || {
                for round in 0..12 {
                    match (index + round) % 4 {
                        0 => assert_eq!(vc_set(endpoint, jwt), nt_result::NT_OK),
                        1 => consistent(&vc_begin(endpoint, jwt).expect("begin")),
                        2 => match vc_refresh() {
                            Ok(token) => consistent(&token),
                            Err(failure) => ok_or_no_session(&failure),
                        },
                        _ if round % 5 == 0 => assert_eq!(nt_session_clear(), nt_result::NT_OK),
                        _ => {}
                    }
                    match vc_token() {
                        Ok(token) => consistent(&token),
                        Err(failure) => ok_or_no_session(&failure),
                    }
                    match vc_endpoint() {
                        Ok(endpoint) => assert!(jwt_of(&endpoint).is_some()),
                        Err(failure) => ok_or_no_session(&failure),
                    }
                    if let Err(failure) = vc_jwt() {
                        ok_or_no_session(&failure);
                    }
                }
            });
        }
    });
    // Whatever won, the store holds one thread's pair, with a token from that pair if any.
    if let Ok(endpoint) = vc_endpoint() {
        assert_eq!(jwt_of(&endpoint), Some(vc_jwt().unwrap()));
        if let Ok(token) = vc_token() {
            assert_eq!(
                (token.endpoint, token.jwt),
                (endpoint.clone(), jwt_of(&endpoint).unwrap())
            );
        }
    }
}
