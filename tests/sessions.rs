//! TLSPC sessions through the C ABI: begin, refresh from what the session holds, failures that
//! leave it untouched, NoSession, and sessions that never share state, also across 16 threads.

mod common;

use common::*;
use native_token::*;

#[test]
fn refresh_sends_what_the_session_was_begun_with() {
    let emulator = Emulator::start();
    let session = TestSession::new();
    let jwt = fresh_jwt();
    let begun = session
        .begin(&emulator.vc_endpoint(), &jwt)
        .expect("a token");
    assert_requested_with(&begun, &emulator.vc_endpoint(), &jwt);

    let refreshed = session.refresh().expect("a new token");
    assert_ne!(refreshed.access_token, begun.access_token);
    assert_requested_with(&refreshed, &emulator.vc_endpoint(), &jwt);
    let again = session.refresh().expect("refresh works again");
    assert_ne!(again.access_token, refreshed.access_token);
    assert_eq!(emulator.requests(VC_ROUTE), 3);
}

#[test]
fn a_session_not_begun_cannot_refresh() {
    let emulator = Emulator::start();
    let session = TestSession::new();
    let failure = session.refresh().unwrap_err();
    assert_eq!(failure.result, nt_result::NT_NO_SESSION);
    assert_contains(&failure.message, "has not begun");
    // A begin that fails does not begin it either.
    let failing = emulator.vc_endpoint_with_fault("status=500");
    assert_eq!(
        session.begin(&failing, &fresh_jwt()).unwrap_err().result,
        nt_result::NT_HTTP_STATUS
    );
    assert_eq!(
        session.refresh().unwrap_err().result,
        nt_result::NT_NO_SESSION
    );
    assert_eq!(emulator.requests(VC_ROUTE), 1);
}

#[test]
fn failed_calls_leave_the_session_as_it_was() {
    let emulator = Emulator::start();
    let (session, jwt) = TestSession::begun(&emulator);

    let expired = jwt_expiring_at(now_unix_s() - 60);
    for (endpoint, jwt, kind) in [
        (
            emulator.vc_endpoint(),
            expired.as_str(),
            nt_result::NT_EXPIRED_JWT,
        ),
        (emulator.vc_endpoint(), "a.b", nt_result::NT_MALFORMED_JWT),
        (
            "http://example.com/t".to_owned(),
            jwt.as_str(),
            nt_result::NT_INSECURE_URL,
        ),
        (
            emulator.vc_endpoint_with_fault("status=401"),
            jwt.as_str(),
            nt_result::NT_HTTP_STATUS,
        ),
    ] {
        let failure = session.begin(&endpoint, jwt).unwrap_err();
        assert_eq!(failure.result, kind, "{}", failure.message);
    }
    let refreshed = session.refresh().expect("the old session still refreshes");
    assert_requested_with(&refreshed, &emulator.vc_endpoint(), &jwt);

    // A refresh that fails (the service is gone) changes nothing either.
    let endpoint = emulator.vc_endpoint();
    drop(emulator);
    let failure = session.refresh().unwrap_err();
    assert_eq!(failure.result, nt_result::NT_CONNECT_FAILED);
    assert_failure_has_no_secret(&failure, &[&jwt]);
    let restarted = Emulator::start();
    let moved = restarted.vc_endpoint();
    assert_ne!(moved, endpoint, "a new port");
    assert_eq!(
        session.refresh().unwrap_err().result,
        nt_result::NT_CONNECT_FAILED,
        "still the old endpoint"
    );
}

#[test]
fn begin_again_replaces_what_the_session_holds() {
    let emulator = Emulator::start();
    let (first, second) = (fresh_jwt(), fresh_jwt());
    let session = TestSession::begun_with(&emulator, &first);
    let other_tenant = emulator
        .vc_endpoint()
        .replace(TENANT, "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
    session.begin(&other_tenant, &second).expect("second");
    let refreshed = session.refresh().expect("a token");
    assert_requested_with(&refreshed, &other_tenant, &second);
}

#[test]
fn refresh_with_a_jwt_that_expired_since_begin_says_so() {
    let emulator = Emulator::start();
    // Valid for two seconds: begun now, refreshed after it expired.
    let jwt = jwt_expiring_at(now_unix_s() + 2);
    let session = TestSession::begun_with(&emulator, &jwt);
    std::thread::sleep(std::time::Duration::from_millis(2_200));
    let failure = session.refresh().unwrap_err();
    assert_eq!(failure.result, nt_result::NT_EXPIRED_JWT);
    assert_contains(&failure.message, "expired at");
    assert_failure_has_no_secret(&failure, &[&jwt]);
    assert_eq!(emulator.requests(VC_ROUTE), 1);
}

/// The endpoint of a GUID-shaped tenant for thread `index`, so that each thread has its own.
fn endpoint_for(emulator: &Emulator, index: usize) -> String {
    emulator.vc_endpoint_for(&format!("{index:08x}-0000-4000-8000-{index:012x}"))
}

#[test]
fn sixteen_threads_with_their_own_sessions_never_see_each_other() {
    let emulator = Emulator::start();
    std::thread::scope(|scope| {
        for index in 0..16 {
            let emulator = &emulator;
            scope.spawn(move || {
                let endpoint = endpoint_for(emulator, index);
                let session = TestSession::new();
                for round in 0..12 {
                    // Each thread begins again with a new JWT now and then, and refreshes in
                    // between: every token must carry this thread's current pair.
                    let jwt = fresh_jwt();
                    let begun = session.begin(&endpoint, &jwt).expect("begin");
                    assert_requested_with(&begun, &endpoint, &jwt);
                    for _ in 0..(round % 3) {
                        let refreshed = session.refresh().expect("refresh");
                        assert_requested_with(&refreshed, &endpoint, &jwt);
                    }
                }
            });
        }
    });
}

#[test]
fn one_session_shared_by_threads_stays_consistent() {
    // Not how the module uses a session, but the ABI says it is thread-safe: a refresh racing a
    // begin sends one whole pair, never the endpoint of one with the JWT of the other.
    let emulator = Emulator::start();
    let session = TestSession::new();
    let pairs: Vec<(String, String)> = (0..4)
        .map(|index| (endpoint_for(&emulator, index), fresh_jwt()))
        .collect();
    session.begin(&pairs[0].0, &pairs[0].1).expect("a session");
    std::thread::scope(|scope| {
        for (index, (endpoint, jwt)) in pairs.iter().enumerate() {
            let (session, pairs) = (&session, &pairs);
            scope.spawn(move || {
                for _ in 0..10 {
                    let token = if index % 2 == 0 {
                        session.begin(endpoint, jwt).expect("begin")
                    } else {
                        session.refresh().expect("refresh")
                    };
                    assert!(
                        pairs.iter().any(|(e, j)| (e.as_str(), j.as_str())
                            == (token.endpoint.as_str(), token.jwt.as_str())),
                        "a mixed pair"
                    );
                }
            });
        }
    });
}
