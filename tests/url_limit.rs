//! The longest URL a call can post to: 65,534 bytes written out in full (what http's `Uri`, and
//! so reqwest, can carry). For each kind of call, the largest URL is sent and answered, and the
//! smallest too long is `NT_INVALID_URL` before any request, without a panic and without
//! echoing the URL.

mod common;

use common::*;
use native_token::nt_result;

const LARGEST: usize = 65_534;

/// `before` + `?pad=xxx…` + `after` padded so that `before` + `after` + query is `length`
/// bytes; returns the text to pass in (`before` + query), the query's marker is its `x`s.
fn padded(before: &str, after: &str, length: usize) -> String {
    let fixed = before.len() + after.len() + "?pad=".len();
    format!("{before}?pad={}", "x".repeat(length - fixed))
}

/// The failure for a URL one byte too long: InvalidUrl naming the limit, not the URL.
fn assert_refused_for_length(failure: &Failure) {
    assert_eq!(failure.result, nt_result::NT_INVALID_URL, "{failure:?}");
    assert!(
        failure.message.contains("65535 bytes long")
            && failure.message.contains("at most 65534 bytes"),
        "{}",
        failure.message
    );
    assert!(!failure.message.contains("xxxxxxxx"), "{}", failure.message);
}

#[test]
fn tlspc_endpoint_at_the_limit() {
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let largest = padded(&emulator.vc_endpoint(), "", LARGEST);
    assert_eq!(largest.len(), LARGEST);
    let token = vc_fetch(&largest, &jwt, 10_000).expect("the largest endpoint is sent");
    assert_eq!(token.endpoint.len(), LARGEST);
    assert_eq!(emulator.requests(VC_ROUTE), 1);

    let failure = vc_fetch(
        &padded(&emulator.vc_endpoint(), "", LARGEST + 1),
        &jwt,
        10_000,
    )
    .unwrap_err();
    assert_refused_for_length(&failure);
    assert_eq!(emulator.requests(VC_ROUTE), 1, "nothing was sent");
}

#[test]
fn tlspc_endpoint_counts_as_sent_not_as_given() {
    // 30,000 of < and > are 30,000 bytes given and 90,000 sent (%3C, %3E): too long once
    // encoded.
    let emulator = Emulator::start();
    let endpoint = format!("{}?pad={}", emulator.vc_endpoint(), "<>".repeat(15_000));
    let failure = vc_fetch(&endpoint, &fresh_jwt(), 10_000).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_INVALID_URL, "{failure:?}");
    assert_contains(&failure.message, "at most 65534 bytes");
    assert_eq!(emulator.requests(VC_ROUTE), 0);
}

#[test]
fn armor_token_url_at_the_limit() {
    // The base URL plus /auth/token, which the library appends before the query.
    let emulator = Emulator::start();
    let base = format!("{}/", emulator.http);
    let largest = padded(&base, "auth/token", LARGEST);
    let token = armor_redeem(&emulator, &largest).expect("the largest URL is sent");
    assert_eq!(token.endpoint.len(), LARGEST);
    assert_eq!(emulator.requests(ARMOR_TOKEN_ROUTE), 1);

    let too_long = padded(&base, "auth/token", LARGEST + 1);
    let failure = armor_redeem(&emulator, &too_long).unwrap_err();
    assert_refused_for_length(&failure);
    assert_eq!(emulator.requests(ARMOR_TOKEN_ROUTE), 1, "nothing was sent");
}

#[test]
fn armor_reissue_url_at_the_limit() {
    let emulator = Emulator::start();
    let token = armor_redeem(&emulator, &emulator.http).expect("a token to reissue");
    let base = format!("{}/", emulator.http);
    let largest = padded(&base, "auth/token/reissue", LARGEST);
    let reissued =
        armor_reissue(&largest, &token.access_token, 10_000).expect("the largest URL is sent");
    assert_eq!(reissued.endpoint.len(), LARGEST);
    assert_eq!(emulator.requests(ARMOR_REISSUE_ROUTE), 1);

    let too_long = padded(&base, "auth/token/reissue", LARGEST + 1);
    let failure = armor_reissue(&too_long, &reissued.access_token, 10_000).unwrap_err();
    assert_refused_for_length(&failure);
    assert_failure_has_no_secret(&failure, &[&reissued.access_token]);
    assert_eq!(
        emulator.requests(ARMOR_REISSUE_ROUTE),
        1,
        "nothing was sent"
    );
}

#[test]
fn an_over_long_value_that_is_no_url_is_refused_as_no_url() {
    // Past the 64 KiB input limit, what a URL argument is says more than its length: text that
    // is not an absolute http(s) URL is NT_INVALID_URL (which the module words as VenafiPS's
    // -Endpoint check does); a URL that long is still refused for its length.
    let emulator = Emulator::start();
    let no_url = "x".repeat(70_000);
    let long_url = padded(&emulator.vc_endpoint(), "", 70_000);
    let token = armor_redeem(&emulator, &emulator.http).expect("a token to reissue");
    let cases: [(&str, Failure, nt_result); 4] = [
        (
            "endpoint, no URL",
            vc_fetch(&no_url, &fresh_jwt(), 10_000).unwrap_err(),
            nt_result::NT_INVALID_URL,
        ),
        (
            "endpoint, a URL",
            vc_fetch(&long_url, &fresh_jwt(), 10_000).unwrap_err(),
            nt_result::NT_INVALID_ARGUMENT,
        ),
        (
            "Armor base URL, no URL",
            armor_redeem(&emulator, &no_url).unwrap_err(),
            nt_result::NT_INVALID_URL,
        ),
        (
            "Armor reissue base URL, no URL",
            armor_reissue(&no_url, &token.access_token, 10_000).unwrap_err(),
            nt_result::NT_INVALID_URL,
        ),
    ];
    for (case, failure, expected) in cases {
        assert_eq!(failure.result, expected, "{case}: {failure:?}");
        assert!(
            !failure.message.contains("xxxxxxxx"),
            "{case}: {}",
            failure.message
        );
    }
    assert_eq!(emulator.requests(VC_ROUTE), 0, "nothing was sent");
}
