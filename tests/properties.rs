//! Property tests at the C ABI: whatever bytes a caller passes, a call returns a typed result,
//! never a panic, and writes its out-pointer only on success. (The parsers' own properties are
//! unit tests beside them: JWT, URL check, error body, date formatting.)

mod common;

use common::*;
use native_token::*;
use proptest::prelude::*;
use std::ptr::NonNull;

/// Kinds a token call may fail with before any network I/O, or at a closed local port.
fn is_expected_kind(result: nt_result) -> bool {
    matches!(
        result,
        nt_result::NT_INVALID_ARGUMENT
            | nt_result::NT_INVALID_URL
            | nt_result::NT_INSECURE_URL
            | nt_result::NT_MALFORMED_JWT
            | nt_result::NT_EXPIRED_JWT
            | nt_result::NT_CONNECT_FAILED
    )
}

fn fetch_bytes(endpoint: &[u8], jwt: &[u8]) -> nt_result {
    let untouched = NonNull::<Token>::dangling().as_ptr();
    let mut token = untouched;
    let result = unsafe {
        nt_vc_token_fetch(
            std::ptr::null(),
            endpoint.as_ptr(),
            endpoint.len(),
            jwt.as_ptr(),
            jwt.len(),
            200,
            std::ptr::null(),
            &mut token,
        )
    };
    assert_eq!(
        token, untouched,
        "no success is possible here, so nothing is written"
    );
    take_failure(result);
    result
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_bytes_as_endpoint_and_jwt(endpoint in prop::collection::vec(any::<u8>(), 0..120), jwt in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(is_expected_kind(fetch_bytes(&endpoint, &jwt)));
    }

    #[test]
    fn url_like_endpoints(scheme in "(https?|ftp|)", host in "[a-z0-9.\\[\\]:-]{0,24}", path in "[/a-z0-9?=&%]{0,24}") {
        let endpoint = format!("{scheme}://{host}{path}");
        prop_assert!(is_expected_kind(fetch_bytes(endpoint.as_bytes(), b"a.b")));
    }

    #[test]
    fn jwt_like_text_to_a_closed_port(parts in prop::collection::vec("[A-Za-z0-9_=-]{0,30}", 0..5)) {
        // Nothing listens there: a JWT that passes the checks ends in ConnectFailed.
        let endpoint = "http://127.0.0.1:9/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token";
        prop_assert!(is_expected_kind(fetch_bytes(endpoint.as_bytes(), parts.join(".").as_bytes())));
    }

    #[test]
    fn any_grant_type_but_authorization_code_is_refused(grant_type in "[a-zA-Z_]{1,30}") {
        prop_assume!(!grant_type.eq_ignore_ascii_case("authorization_code"));
        let code = "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo=";
        let failure = armor_fetch("https://192.0.2.1", code, &grant_type, 200).unwrap_err();
        prop_assert_eq!(failure.result, nt_result::NT_INVALID_ARGUMENT);
    }

    #[test]
    fn any_number_is_a_result_name(code in any::<u32>()) {
        let name = unsafe { std::ffi::CStr::from_ptr(nt_result_name(code)) }.to_str().unwrap().to_owned();
        prop_assert_eq!(name == "Unknown", code > 15);
    }
}
