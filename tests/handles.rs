//! After many calls of every kind, each handle freed once, no handle is left live: the
//! registry does not leak and the helpers free what they take. The registry counts the whole
//! process, so this binary has this one test.

mod common;

use common::*;
use native_token::*;
use std::ptr;

#[test]
fn no_live_handles_after_many_calls() {
    assert_eq!(live_handle_count(), 0);
    let emulator = Emulator::start();
    let jwt = fresh_jwt();
    let endpoint = emulator.vc_endpoint();
    for round in 0..50 {
        vc_fetch(&endpoint, &jwt, 0).expect("a token");
        vc_fetch(&emulator.vc_endpoint_with_fault("status=500"), &jwt, 0).unwrap_err();
        vc_fetch("not a url", &jwt, 0).unwrap_err();
        let token = armor_fetch(
            &emulator.http,
            &emulator.armor_code(),
            "authorization_code",
            0,
        )
        .expect("a token");
        armor_reissue(&emulator.http, &token.access_token, 0).expect("a new token");
        unsafe {
            let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(&endpoint), arg(&jwt));
            let mut token = ptr::null_mut();
            assert_eq!(
                nt_vc_session_begin(endpoint, endpoint_len, jwt, jwt_len, 0, &mut token),
                nt_result::NT_OK
            );
            consume_token(token);
            assert_eq!(nt_vc_session_refresh(0, &mut token), nt_result::NT_OK);
            consume_token(token);
            let mut text = ptr::null_mut();
            assert_eq!(nt_vc_session_jwt(&mut text), nt_result::NT_OK);
            consume_string(text);
            // An error left untaken is replaced by the next one, not leaked as a handle.
            nt_vc_session_set(ptr::null(), 0, ptr::null(), 0);
            if round % 2 == 0 {
                take_failure(nt_result::NT_INVALID_ARGUMENT);
            }
        }
        assert_eq!(nt_session_clear(), nt_result::NT_OK);
    }
    assert_eq!(live_handle_count(), 0);
}
