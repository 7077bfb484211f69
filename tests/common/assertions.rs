//! Assertions shared by the tests: no secret in what the library says.

use super::*;

/// Asserts that none of `secrets` (nor a long piece of one) appears in `text`.
pub fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "a secret leaked into: {text}");
        // A JWT's payload part alone identifies it too.
        for part in secret.split('.').filter(|part| part.len() >= 16) {
            assert!(!text.contains(part), "part of a secret leaked into: {text}");
        }
    }
}

/// The failure's message and trace hold none of `secrets`.
pub fn assert_failure_has_no_secret(failure: &Failure, secrets: &[&str]) {
    assert_no_secret(&failure.message, secrets);
    assert_no_secret(&failure.trace, secrets);
}

/// Asserts that `text` holds `part`, showing the whole text when it does not.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in: {text}");
}

/// Asserts that the call failed with `kind`, showing the failure's message when it did not.
#[track_caller]
pub fn assert_kind(failure: &Failure, kind: native_token::nt_result) {
    assert_eq!(failure.result, kind, "{}", failure.message);
}

/// Asserts that `token` was requested from `endpoint` with `jwt`.
#[track_caller]
pub fn assert_requested_with(token: &TokenView, endpoint: &str, jwt: &str) {
    assert_eq!(
        (token.endpoint.as_str(), token.jwt.as_str()),
        (endpoint, jwt)
    );
}
