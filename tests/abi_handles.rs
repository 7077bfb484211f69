//! Misuse of the C ABI's handles: freed, foreign and never-issued handles are refused (or
//! ignored by the frees), double frees are ignored, and building a configuration takes its
//! builder in every case. None of these may crash, write an out-pointer, or reach the network.

mod common;

use common::*;
use native_token::*;
use std::ptr;

#[test]
fn freed_foreign_and_unknown_handles_are_refused_or_ignored() {
    let error = provoke_error();
    unsafe {
        nt_error_free(error);
        // A second free is ignored; using the freed handle is refused.
        nt_error_free(error);
        assert!(nt_error_take_last().is_null());
        failure_message(nt_error_kind(error, &mut 0), nt_result::NT_INVALID_HANDLE);

        // A live error handle is not a token, a configuration, a cancellation or a session:
        // refused before any request.
        let error = provoke_error();
        nt_token_free(error.cast());
        failure_message(
            nt_token_expires_in(error.cast(), &mut 0),
            nt_result::NT_INVALID_HANDLE,
        );
        let jwt = fresh_jwt();
        for (config, cancel) in [
            (error as *const Config, ptr::null()),
            (ptr::null(), error as *const Cancel),
        ] {
            // (The out-pointer is checked untouched by vc_fetch_with.)
            let failure = vc_fetch_with(config, cancel, UNSENT_ENDPOINT, &jwt, 0).unwrap_err();
            assert_eq!(failure.result, nt_result::NT_INVALID_HANDLE);
        }
        let mut token = ptr::null_mut();
        failure_message(
            nt_vc_session_refresh(error.cast(), ptr::null(), 0, ptr::null(), &mut token),
            nt_result::NT_INVALID_HANDLE,
        );
        failure_message(
            nt_cancel_trigger(error.cast()),
            nt_result::NT_INVALID_HANDLE,
        );
        assert!(token.is_null());
        let mut kind = 0;
        assert_eq!(
            nt_error_kind(error, &mut kind),
            nt_result::NT_OK,
            "still live after the misuse"
        );
        assert_eq!(kind, nt_result::NT_INVALID_ARGUMENT as u32);
        nt_error_free(error);

        // An address never handed out.
        let mut not_a_handle = 0u64;
        let fake: *mut Token = (&mut not_a_handle as *mut u64).cast();
        nt_token_free(fake);
        failure_message(
            nt_token_expires_in(fake, &mut 0),
            nt_result::NT_INVALID_HANDLE,
        );
        assert_eq!(not_a_handle, 0, "never written through");
    }
}

#[test]
fn double_frees_are_ignored_and_freed_handles_refused() {
    let emulator = Emulator::start();
    let token = fetch_raw(&emulator);
    unsafe {
        nt_token_free(token);
        nt_token_free(token);
        failure_message(
            nt_token_access_token(token, &mut ptr::null(), &mut 0),
            nt_result::NT_INVALID_HANDLE,
        );

        let mut session = ptr::null_mut();
        assert_eq!(nt_vc_session_new(&mut session), nt_result::NT_OK);
        nt_vc_session_free(session);
        nt_vc_session_free(session);
        let mut token = ptr::null_mut();
        failure_message(
            nt_vc_session_refresh(session, ptr::null(), 0, ptr::null(), &mut token),
            nt_result::NT_INVALID_HANDLE,
        );

        let mut cancel = ptr::null_mut();
        assert_eq!(nt_cancel_new(&mut cancel), nt_result::NT_OK);
        nt_cancel_free(cancel);
        nt_cancel_free(cancel);
        failure_message(nt_cancel_trigger(cancel), nt_result::NT_INVALID_HANDLE);
    }
}

#[test]
fn building_a_configuration_takes_the_builder_in_every_case() {
    unsafe {
        let mut builder = ptr::null_mut();
        assert_eq!(nt_config_builder_new(&mut builder), nt_result::NT_OK);
        let mut config = ptr::null();
        assert_eq!(
            nt_config_builder_build(builder, &mut config),
            nt_result::NT_OK
        );
        assert!(!config.is_null());
        // The builder is gone: using it again is refused, freeing it ignored.
        let (proxy, proxy_len) = arg("http://127.0.0.1:3128");
        failure_message(
            nt_config_builder_set_proxy(builder, proxy, proxy_len),
            nt_result::NT_INVALID_HANDLE,
        );
        nt_config_builder_free(builder);
        nt_config_free(config);
        nt_config_free(config);

        // Also when the out-pointer is NULL.
        assert_eq!(nt_config_builder_new(&mut builder), nt_result::NT_OK);
        failure_message(
            nt_config_builder_build(builder, ptr::null_mut()),
            nt_result::NT_INVALID_ARGUMENT,
        );
        failure_message(
            nt_config_builder_build(builder, &mut config),
            nt_result::NT_INVALID_HANDLE,
        );

        // A refused setting leaves the builder usable; one that is not built is freed.
        assert_eq!(nt_config_builder_new(&mut builder), nt_result::NT_OK);
        let (bad, bad_len) = arg("proxy.example:3128");
        let message = failure_message(
            nt_config_builder_set_proxy(builder, bad, bad_len),
            nt_result::NT_INVALID_ARGUMENT,
        );
        assert!(
            message.contains("expected the form http://[user:password@]host:port"),
            "{message}"
        );
        assert_eq!(
            nt_config_builder_set_proxy(builder, proxy, proxy_len),
            nt_result::NT_OK
        );
        nt_config_builder_free(builder);
    }
}
