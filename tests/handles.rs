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
        let config = TestConfig::new(|_| {}).expect("a configuration");
        let cancel = TestCancel::new();
        vc_fetch_with(config.0, cancel.0, &endpoint, &jwt, 0).expect("a token");
        vc_fetch(&emulator.vc_endpoint_with_fault("status=500"), &jwt, 0).unwrap_err();
        vc_fetch("not a url", &jwt, 0).unwrap_err();
        let token = armor_fetch_with(
            config.0,
            &emulator.http,
            &emulator.armor_code(),
            "authorization_code",
            0,
        )
        .expect("a token");
        armor_reissue(&emulator.http, &token.access_token, 0).expect("a new token");
        let session = TestSession::new();
        session.begin(&endpoint, &jwt).expect("begin");
        session.refresh().expect("refresh");
        cancel.trigger();
        session
            .begin_with(config.0, cancel.0, &endpoint, &jwt, 0)
            .unwrap_err();
        // A builder that is never built is freed on its own.
        let mut builder = ptr::null_mut();
        assert_eq!(
            unsafe { nt_config_builder_new(&mut builder) },
            nt_result::NT_OK
        );
        unsafe { nt_config_builder_free(builder) };
        // An error left untaken is replaced by the next one, not leaked as a handle.
        unsafe { nt_vc_session_refresh(ptr::null(), ptr::null(), 0, ptr::null(), ptr::null_mut()) };
        if round % 2 == 0 {
            take_failure(nt_result::NT_INVALID_ARGUMENT);
        }
    }
    assert_eq!(live_handle_count(), 0);
}
