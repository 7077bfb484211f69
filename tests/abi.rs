//! Misuse of the C ABI's arguments and boundary: NULL pointers, bad strings, out-pointers,
//! proxy URLs, and panics (handles: abi_handles.rs). None of these may crash, write an
//! out-pointer, or reach the network.

mod common;

use common::*;
use native_token::*;
use std::ffi::CStr;
use std::ptr::{self, NonNull};

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
    let names: Vec<String> = (0..17).map(name).collect();
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
            "Panic",
            "Cancelled"
        ]
    );
    assert_eq!(name(17), "Unknown");
    assert_eq!(name(u32::MAX), "Unknown");
}

#[test]
fn no_last_error_until_a_call_fails() {
    // Each test runs on its own thread, with its own last error.
    assert!(nt_error_take_last().is_null());
    let cancel = TestCancel::new();
    cancel.trigger();
    assert!(
        nt_error_take_last().is_null(),
        "success does not set an error"
    );
}

#[test]
fn null_pointers_are_invalid_arguments() {
    let jwt = fresh_jwt();
    let (endpoint, endpoint_len) = arg(UNSENT_ENDPOINT);
    let (jwt_ptr, jwt_len) = arg(&jwt);
    let mut token = NonNull::<Token>::dangling().as_ptr();
    let untouched = token;
    let null = ptr::null();
    let out_token: *mut *mut Token = &mut token;
    unsafe {
        // One NULL argument at a time: the endpoint, the JWT (with a length), the out-pointer.
        for ((endpoint, endpoint_len), (jwt, jwt_len), out_token, expected) in [
            (
                (ptr::null(), 0),
                (jwt_ptr, jwt_len),
                out_token,
                "endpoint is NULL",
            ),
            (
                (endpoint, endpoint_len),
                (ptr::null(), 5),
                out_token,
                "jwt is NULL",
            ),
            (
                (endpoint, endpoint_len),
                (jwt_ptr, jwt_len),
                ptr::null_mut(),
                "out_token is NULL",
            ),
        ] {
            let message = failure_message(
                nt_vc_token_fetch(
                    null,
                    endpoint,
                    endpoint_len,
                    jwt,
                    jwt_len,
                    0,
                    null.cast(),
                    out_token,
                ),
                nt_result::NT_INVALID_ARGUMENT,
            );
            assert_eq!(message, expected);
        }
        assert_eq!(token, untouched);

        // Each failure replaces the last error, so each is checked at once.
        let invalid = |result| failure_message(result, nt_result::NT_INVALID_ARGUMENT);
        invalid(nt_token_access_token(ptr::null(), &mut ptr::null(), &mut 0));
        invalid(nt_token_expires_in(ptr::null(), &mut 0));
        invalid(nt_error_kind(ptr::null(), &mut 0));
        invalid(nt_cancel_trigger(ptr::null()));
        invalid(nt_cancel_new(ptr::null_mut()));
        invalid(nt_vc_session_new(ptr::null_mut()));
        invalid(nt_config_builder_new(ptr::null_mut()));
        invalid(nt_config_builder_set_proxy(
            ptr::null_mut(),
            endpoint,
            endpoint_len,
        ));
        invalid(nt_config_builder_add_ca_file(
            ptr::null_mut(),
            endpoint,
            endpoint_len,
        ));
        invalid(nt_config_builder_build(ptr::null_mut(), &mut ptr::null()));
        invalid(nt_vc_session_refresh(
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            &mut token,
        ));
        invalid(nt_vc_session_begin(
            ptr::null_mut(),
            ptr::null(),
            endpoint,
            endpoint_len,
            jwt_ptr,
            jwt_len,
            0,
            ptr::null(),
            &mut token,
        ));
        assert_eq!(token, untouched);

        // Freeing NULL is a no-op, as free(NULL) is: no error is recorded.
        nt_token_free(ptr::null_mut());
        nt_error_free(ptr::null_mut());
        nt_cancel_free(ptr::null_mut());
        nt_config_free(ptr::null());
        nt_config_builder_free(ptr::null_mut());
        nt_vc_session_free(ptr::null_mut());
        assert!(nt_error_take_last().is_null());
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
        nt_error_free(error);
    }
}

#[test]
fn strings_must_be_non_empty_utf8_up_to_64_kib() {
    let jwt = fresh_jwt();
    let fetch = |endpoint: &[u8], jwt: &[u8]| fetch_bytes(endpoint, jwt).0;
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
            fetch(UNSENT_ENDPOINT.as_bytes(), b""),
            nt_result::NT_INVALID_ARGUMENT
        ),
        "jwt is empty"
    );
    let long = vec![b'a'; 64 * 1024 + 1];
    assert_eq!(
        failure_message(
            fetch(UNSENT_ENDPOINT.as_bytes(), &long),
            nt_result::NT_INVALID_ARGUMENT
        ),
        "jwt is too long: 65537 bytes, at most 65536"
    );
    // Exactly 64 KiB is accepted as a string (and then refused as a JWT).
    let limit = vec![b'a'; 64 * 1024];
    failure_message(
        fetch(UNSENT_ENDPOINT.as_bytes(), &limit),
        nt_result::NT_MALFORMED_JWT,
    );
    // Strings need no NUL: a length inside a longer buffer is honoured.
    let padded = format!("{UNSENT_ENDPOINT}GARBAGE");
    let endpoint_in_buffer = &padded.as_bytes()[..UNSENT_ENDPOINT.len()];
    failure_message(
        fetch(endpoint_in_buffer, b"a.b"),
        nt_result::NT_MALFORMED_JWT,
    );
}

#[test]
fn proxy_urls_are_only_http_host_port() {
    // What the header documents: `http://[user:password@]host:port` (a trailing / allowed);
    // anything else is InvalidArgument and leaves the builder unchanged.
    let set = |url: &str| {
        let mut builder = ptr::null_mut();
        assert_eq!(
            unsafe { nt_config_builder_new(&mut builder) },
            nt_result::NT_OK
        );
        let (text, len) = arg(url);
        let result = unsafe { nt_config_builder_set_proxy(builder, text, len) };
        let message = (result != nt_result::NT_OK).then(|| take_failure(result).message);
        unsafe { nt_config_builder_free(builder) };
        (result, message)
    };
    for good in [
        "http://127.0.0.1:3128",
        "http://127.0.0.1:3128/",
        "http://user:pa%40ss@proxy.example:8080",
        "http://[::1]:3128",
    ] {
        assert_eq!(set(good).0, nt_result::NT_OK, "{good}");
    }
    for (bad, why) in [
        ("http://127.0.0.1:1/some/path", "after host:port"),
        ("http://127.0.0.1:1?x=1", "after host:port"),
        ("http://127.0.0.1:1/#fragment", "after host:port"),
        ("socks5://127.0.0.1:1080", "does not start with http://"),
        ("127.0.0.1:3128", "not an absolute URL"),
    ] {
        let (result, message) = set(bad);
        assert_eq!(result, nt_result::NT_INVALID_ARGUMENT, "{bad}");
        let message = message.unwrap();
        assert!(message.contains(why), "{bad}: {message}");
        assert!(!message.contains("127.0.0.1"), "not echoed: {message}");
    }
    // A proxy reached over TLS is refused at once (not a call that waits out its timeout on a
    // plain proxy), saying what to write instead, without the URL's password.
    let (result, message) = set("https://user:proxy-password@127.0.0.1:3128");
    assert_eq!(result, nt_result::NT_INVALID_ARGUMENT);
    let message = message.unwrap();
    assert!(
        message.contains("starts with https://")
            && message.contains("write the proxy's URL with http://"),
        "{message}"
    );
    assert!(!message.contains("proxy-password"), "{message}");
}

#[test]
fn the_header_shows_this_version() {
    // nt_version's example in the header is the version it comes with.
    let header = include_str!("../include/native_token.h");
    let example = format!("e.g. `\"{}\"`", env!("CARGO_PKG_VERSION"));
    assert!(header.contains(&example), "the header has no {example}");
}

#[test]
fn empty_fields_point_at_readable_memory() {
    let emulator = Emulator::start();
    let token = fetch_raw(&emulator);
    unsafe {
        let (mut text, mut len) = (ptr::null(), usize::MAX);
        assert_eq!(
            nt_token_id_token(token, &mut text, &mut len),
            nt_result::NT_OK
        );
        assert_eq!(len, 0);
        assert!(!text.is_null());
        let _readable = *text;
        nt_token_free(token);
    }
}

#[cfg(feature = "test-hooks")]
#[test]
fn panics_are_caught_at_the_boundary() {
    assert_eq!(nt_test_trigger_panic(), nt_result::NT_PANIC);
    let failure = take_failure(nt_result::NT_PANIC);
    assert_contains(&failure.message, "panic");
    assert_contains(&failure.message, "nt_test_trigger_panic was called");
    // The library keeps working, on this thread and on others at once.
    drop(TestSession::new());
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
