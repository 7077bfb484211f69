//! Misuse of the C ABI: NULL pointers, bad strings, freed or foreign handles, and the panic
//! boundary. None of these may crash, write an out-pointer, or reach the network.

mod common;

use common::*;
use native_token::*;
use std::ffi::CStr;
use std::ptr::{self, NonNull};

const ENDPOINT: &str =
    "https://192.0.2.1/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token";

/// Takes the last error after `result` and returns its message, checking the kind.
fn failure_message(result: nt_result, expected: nt_result) -> String {
    assert_eq!(result, expected);
    take_failure(result).message
}

#[test]
fn version_and_result_names() {
    let version = unsafe { CStr::from_ptr(nt_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let name = |code: u32| {
        unsafe { CStr::from_ptr(nt_result_name(code)) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    let names: Vec<String> = (0..16).map(name).collect();
    assert_eq!(
        names,
        [
            "Ok",
            "InvalidArgument",
            "InvalidHandle",
            "InvalidUrl",
            "InsecureUrl",
            "MalformedJwt",
            "ExpiredJwt",
            "HttpStatus",
            "Timeout",
            "ConnectFailed",
            "DnsFailed",
            "ConnectionReset",
            "TlsFailed",
            "InvalidResponse",
            "NoSession",
            "Panic"
        ]
    );
    assert_eq!(name(16), "Unknown");
    assert_eq!(name(u32::MAX), "Unknown");
}

#[test]
fn no_last_error_until_a_call_fails() {
    // Each test runs on its own thread, with its own last error.
    assert!(nt_error_take_last().is_null());
    assert_eq!(nt_session_clear(), nt_result::NT_OK);
    assert!(
        nt_error_take_last().is_null(),
        "success does not set an error"
    );
}

#[test]
fn null_pointers_are_invalid_arguments() {
    let jwt = fresh_jwt();
    let (endpoint, endpoint_len) = arg(ENDPOINT);
    let (jwt_ptr, jwt_len) = arg(&jwt);
    let mut token = NonNull::<Token>::dangling().as_ptr();
    let untouched = token;
    unsafe {
        let message = failure_message(
            nt_vc_token_fetch(ptr::null(), 0, jwt_ptr, jwt_len, 0, &mut token),
            nt_result::NT_INVALID_ARGUMENT,
        );
        assert_eq!(message, "endpoint is NULL");
        let message = failure_message(
            nt_vc_token_fetch(endpoint, endpoint_len, ptr::null(), 5, 0, &mut token),
            nt_result::NT_INVALID_ARGUMENT,
        );
        assert_eq!(message, "jwt is NULL");
        let message = failure_message(
            nt_vc_token_fetch(endpoint, endpoint_len, jwt_ptr, jwt_len, 0, ptr::null_mut()),
            nt_result::NT_INVALID_ARGUMENT,
        );
        assert_eq!(message, "out_token is NULL");
        assert_eq!(token, untouched);

        // Each failure replaces the last error, so each is checked at once.
        let invalid = |result| failure_message(result, nt_result::NT_INVALID_ARGUMENT);
        invalid(nt_token_free(ptr::null_mut()));
        invalid(nt_error_free(ptr::null_mut()));
        invalid(nt_string_free(ptr::null_mut()));
        invalid(nt_token_access_token(ptr::null(), &mut ptr::null(), &mut 0));
        invalid(nt_token_expires_in(ptr::null(), &mut 0));
        invalid(nt_error_kind(ptr::null(), &mut 0));
        invalid(nt_string_get(ptr::null(), &mut ptr::null(), &mut 0));
        invalid(nt_vc_session_token(ptr::null_mut()));
        invalid(nt_vc_session_endpoint(ptr::null_mut()));
        invalid(nt_vc_session_expires_at_unix_ms(ptr::null_mut()));
        invalid(nt_armor_session_reissue(0, ptr::null_mut()));
        invalid(nt_vc_session_set(ptr::null(), 0, jwt_ptr, jwt_len));
    }
}

#[test]
fn out_pointers_of_getters_are_checked() {
    let error = provoke_error();
    let mut text = ptr::null();
    unsafe {
        assert_eq!(
            failure_message(
                nt_error_message(error, ptr::null_mut(), &mut 0),
                nt_result::NT_INVALID_ARGUMENT
            ),
            "out_ptr is NULL"
        );
        assert_eq!(
            failure_message(
                nt_error_message(error, &mut text, ptr::null_mut()),
                nt_result::NT_INVALID_ARGUMENT
            ),
            "out_len is NULL"
        );
        assert!(
            text.is_null(),
            "nothing written when one out-pointer is NULL"
        );
        failure_message(
            nt_error_kind(error, ptr::null_mut()),
            nt_result::NT_INVALID_ARGUMENT,
        );
        failure_message(
            nt_error_http_status(error, ptr::null_mut()),
            nt_result::NT_INVALID_ARGUMENT,
        );
        assert_eq!(nt_error_free(error), nt_result::NT_OK);
    }
}

#[test]
fn strings_must_be_non_empty_utf8_up_to_64_kib() {
    let jwt = fresh_jwt();
    let fetch = |endpoint: &[u8], jwt: &[u8]| unsafe {
        let mut token = ptr::null_mut();
        nt_vc_token_fetch(
            endpoint.as_ptr(),
            endpoint.len(),
            jwt.as_ptr(),
            jwt.len(),
            0,
            &mut token,
        )
    };
    let invalid_utf8 = b"https://host/\xff\xfe";
    assert_eq!(
        failure_message(
            fetch(invalid_utf8, jwt.as_bytes()),
            nt_result::NT_INVALID_ARGUMENT
        ),
        "endpoint is not valid UTF-8 (at byte 13)"
    );
    assert_eq!(
        failure_message(
            fetch(ENDPOINT.as_bytes(), b""),
            nt_result::NT_INVALID_ARGUMENT
        ),
        "jwt is empty"
    );
    let long = vec![b'a'; 64 * 1024 + 1];
    assert_eq!(
        failure_message(
            fetch(ENDPOINT.as_bytes(), &long),
            nt_result::NT_INVALID_ARGUMENT
        ),
        "jwt is too long: 65537 bytes, at most 65536"
    );
    // Exactly 64 KiB is accepted as a string (and then refused as a JWT).
    let limit = vec![b'a'; 64 * 1024];
    failure_message(
        fetch(ENDPOINT.as_bytes(), &limit),
        nt_result::NT_MALFORMED_JWT,
    );
    // Strings need no NUL: a length inside a longer buffer is honoured.
    let padded = format!("{ENDPOINT}GARBAGE");
    let result = unsafe {
        let mut token = ptr::null_mut();
        nt_vc_token_fetch(
            padded.as_ptr(),
            ENDPOINT.len(),
            b"a.b".as_ptr(),
            3,
            0,
            &mut token,
        )
    };
    failure_message(result, nt_result::NT_MALFORMED_JWT);
}

/// Makes a call fail and returns its error handle.
fn provoke_error() -> *mut Error {
    let result = unsafe { nt_vc_token_fetch(ptr::null(), 0, ptr::null(), 0, 0, ptr::null_mut()) };
    assert_eq!(result, nt_result::NT_INVALID_ARGUMENT);
    let error = nt_error_take_last();
    assert!(!error.is_null());
    error
}

#[test]
fn freed_foreign_and_unknown_handles_are_invalid() {
    let error = provoke_error();
    unsafe {
        assert_eq!(nt_error_free(error), nt_result::NT_OK);
        failure_message(nt_error_free(error), nt_result::NT_INVALID_HANDLE);
        failure_message(nt_error_kind(error, &mut 0), nt_result::NT_INVALID_HANDLE);

        // A live error handle is not a token or a string.
        let error = provoke_error();
        failure_message(nt_token_free(error.cast()), nt_result::NT_INVALID_HANDLE);
        failure_message(
            nt_string_get(error.cast(), &mut ptr::null(), &mut 0),
            nt_result::NT_INVALID_HANDLE,
        );
        let mut kind = 0;
        assert_eq!(
            nt_error_kind(error, &mut kind),
            nt_result::NT_OK,
            "still live after the misuse"
        );
        assert_eq!(kind, nt_result::NT_INVALID_ARGUMENT as u32);
        assert_eq!(nt_error_free(error), nt_result::NT_OK);

        // An address never handed out.
        let mut not_a_handle = 0u64;
        let fake: *mut Token = (&mut not_a_handle as *mut u64).cast();
        failure_message(nt_token_free(fake), nt_result::NT_INVALID_HANDLE);
        failure_message(
            nt_token_expires_in(fake, &mut 0),
            nt_result::NT_INVALID_HANDLE,
        );
        assert_eq!(not_a_handle, 0, "never written through");
    }
}

/// A token fetched through the raw export, as a C caller gets it (the caller frees it).
fn fetch_raw(endpoint: &str, jwt: &str) -> *mut Token {
    let mut token = ptr::null_mut();
    let result = unsafe {
        nt_vc_token_fetch(
            endpoint.as_ptr(),
            endpoint.len(),
            jwt.as_ptr(),
            jwt.len(),
            0,
            &mut token,
        )
    };
    assert_eq!(result, nt_result::NT_OK);
    token
}

#[test]
fn double_free_of_a_token_and_a_string() {
    let emulator = Emulator::start();
    let (endpoint, jwt) = (emulator.vc_endpoint(), fresh_jwt());
    let token = fetch_raw(&endpoint, &jwt);
    let mut text = ptr::null_mut();
    unsafe {
        assert_eq!(nt_token_free(token), nt_result::NT_OK);
        failure_message(nt_token_free(token), nt_result::NT_INVALID_HANDLE);
        failure_message(
            nt_token_access_token(token, &mut ptr::null(), &mut 0),
            nt_result::NT_INVALID_HANDLE,
        );

        // Only this test uses the session store in this binary.
        assert_eq!(
            nt_vc_session_set(endpoint.as_ptr(), endpoint.len(), jwt.as_ptr(), jwt.len()),
            nt_result::NT_OK
        );
        assert_eq!(nt_vc_session_jwt(&mut text), nt_result::NT_OK);
        assert_eq!(nt_string_free(text), nt_result::NT_OK);
        failure_message(nt_string_free(text), nt_result::NT_INVALID_HANDLE);
        failure_message(
            nt_string_get(text, &mut ptr::null(), &mut 0),
            nt_result::NT_INVALID_HANDLE,
        );
        assert_eq!(nt_session_clear(), nt_result::NT_OK);
    }
}

#[test]
fn empty_fields_point_at_readable_memory() {
    let emulator = Emulator::start();
    let (endpoint, jwt) = (emulator.vc_endpoint(), fresh_jwt());
    let token = fetch_raw(&endpoint, &jwt);
    unsafe {
        let (mut text, mut len) = (ptr::null(), usize::MAX);
        assert_eq!(
            nt_token_id_token(token, &mut text, &mut len),
            nt_result::NT_OK
        );
        assert_eq!(len, 0);
        assert!(!text.is_null());
        let _readable = *text;
        assert_eq!(nt_token_free(token), nt_result::NT_OK);
    }
}

#[cfg(feature = "test-hooks")]
#[test]
fn panics_are_caught_at_the_boundary() {
    assert_eq!(nt_test_trigger_panic(), nt_result::NT_PANIC);
    let failure = take_failure(nt_result::NT_PANIC);
    assert!(failure.message.contains("panic"), "{}", failure.message);
    assert!(
        failure.message.contains("nt_test_trigger_panic was called"),
        "{}",
        failure.message
    );
    // The library keeps working, on this thread and on others at once.
    assert_eq!(nt_session_clear(), nt_result::NT_OK);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                assert_eq!(nt_test_trigger_panic(), nt_result::NT_PANIC);
                take_failure(nt_result::NT_PANIC);
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no panic escaped");
    }
}
