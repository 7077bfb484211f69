//! Calling the exports the way a C caller does (raw pointers, explicit frees), and reading
//! what they hand out: tokens (`TokenView`) and errors (`Failure`).

use super::*;
use native_token::*;
use std::ptr::{self, NonNull};

/// Pointer and length of a Rust string, as a C caller passes them.
pub fn arg(text: &str) -> (*const u8, usize) {
    (text.as_ptr(), text.len())
}

/// Copies a borrowed (pointer, length) string out.
///
/// # Safety
/// `ptr` must point to `len` readable bytes.
pub unsafe fn copy_text(ptr: *const u8, len: usize) -> String {
    assert!(!ptr.is_null(), "returned strings are never NULL");
    String::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()).expect("UTF-8")
}

/// A failed call, as read through the error API.
#[derive(Debug)]
pub struct Failure {
    pub result: nt_result,
    pub status: u16,
    pub message: String,
    pub trace: String,
}

/// Reads one text field of an error.
fn error_text(
    error: *const Error,
    getter: unsafe extern "C" fn(*const Error, *mut *const u8, *mut usize) -> nt_result,
) -> String {
    let (mut ptr, mut len) = (ptr::null(), 0);
    assert_eq!(
        unsafe { getter(error, &mut ptr, &mut len) },
        nt_result::NT_OK
    );
    unsafe { copy_text(ptr, len) }
}

/// Takes this thread's last error after a call returned `result` (not OK), checks that its
/// kind matches, reads it and frees it.
pub fn take_failure(result: nt_result) -> Failure {
    assert_ne!(result, nt_result::NT_OK, "the call was expected to fail");
    let error = nt_error_take_last();
    assert!(!error.is_null(), "a failed call leaves a last error");
    let (mut kind, mut status) = (u32::MAX, u16::MAX);
    unsafe {
        assert_eq!(nt_error_kind(error, &mut kind), nt_result::NT_OK);
        assert_eq!(nt_error_http_status(error, &mut status), nt_result::NT_OK);
    }
    assert_eq!(
        kind, result as u32,
        "the error's kind is the result returned"
    );
    let failure = Failure {
        result,
        status,
        message: error_text(error, nt_error_message),
        trace: error_text(error, nt_error_trace),
    };
    assert!(!failure.message.is_empty(), "every error has a message");
    unsafe { nt_error_free(error) };
    assert!(
        nt_error_take_last().is_null(),
        "the last error is taken once"
    );
    failure
}

/// Everything a token handle says.
#[derive(Debug, Clone)]
pub struct TokenView {
    pub access_token: String,
    pub token_type: String,
    pub scope: String,
    pub id_token: String,
    pub endpoint: String,
    pub jwt: String,
    pub response_json: String,
    pub trace: String,
    pub expires_in: i64,
    pub expires_at_unix_ms: i64,
}

type TextGetter = unsafe extern "C" fn(*const Token, *mut *const u8, *mut usize) -> nt_result;

fn token_text(token: *const Token, getter: TextGetter) -> String {
    let (mut ptr, mut len) = (ptr::null(), 0);
    assert_eq!(
        unsafe { getter(token, &mut ptr, &mut len) },
        nt_result::NT_OK
    );
    unsafe { copy_text(ptr, len) }
}

fn token_number(
    token: *const Token,
    getter: unsafe extern "C" fn(*const Token, *mut i64) -> nt_result,
) -> i64 {
    let mut value = i64::MIN;
    assert_eq!(unsafe { getter(token, &mut value) }, nt_result::NT_OK);
    value
}

/// Reads every field of a token, then frees it.
pub fn consume_token(token: *mut Token) -> TokenView {
    let view = TokenView {
        access_token: token_text(token, nt_token_access_token),
        token_type: token_text(token, nt_token_token_type),
        scope: token_text(token, nt_token_scope),
        id_token: token_text(token, nt_token_id_token),
        endpoint: token_text(token, nt_token_endpoint),
        jwt: token_text(token, nt_token_jwt),
        response_json: token_text(token, nt_token_response_json),
        trace: token_text(token, nt_token_trace),
        expires_in: token_number(token, nt_token_expires_in),
        expires_at_unix_ms: token_number(token, nt_token_expires_at_unix_ms),
    };
    unsafe { nt_token_free(token) };
    view
}

/// Runs a call that hands out a token through its last argument. On failure checks that the
/// out-pointer was left untouched and returns the error.
pub fn token_call(call: impl FnOnce(*mut *mut Token) -> nt_result) -> Result<TokenView, Failure> {
    let untouched = NonNull::<Token>::dangling().as_ptr();
    let mut token = untouched;
    let result = call(&mut token);
    if result == nt_result::NT_OK {
        assert!(
            !token.is_null() && token != untouched,
            "NT_OK writes the out-pointer"
        );
        Ok(consume_token(token))
    } else {
        assert_eq!(
            token, untouched,
            "a failed call leaves the out-pointer untouched"
        );
        Err(take_failure(result))
    }
}

/// A token call with the default configuration and no cancellation.
pub fn vc_fetch(endpoint: &str, jwt: &str, timeout_ms: u32) -> Result<TokenView, Failure> {
    vc_fetch_with(ptr::null(), ptr::null(), endpoint, jwt, timeout_ms)
}

/// A token call with a fresh JWT to the emulator's TLSPC endpoint with `fault` (see
/// `Emulator::vc_endpoint_with_fault`).
pub fn vc_fetch_with_fault(
    emulator: &Emulator,
    fault: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    vc_fetch(
        &emulator.vc_endpoint_with_fault(fault),
        &fresh_jwt(),
        timeout_ms,
    )
}

/// A TLSPC token call with a configuration and a cancellation (either may be NULL).
pub fn vc_fetch_with(
    config: *const Config,
    cancel: *const Cancel,
    endpoint: &str,
    jwt: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
    token_call(|out| unsafe {
        nt_vc_token_fetch(
            config,
            endpoint,
            endpoint_len,
            jwt,
            jwt_len,
            timeout_ms,
            cancel,
            out,
        )
    })
}

pub fn armor_fetch(
    base_url: &str,
    code: &str,
    grant_type: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    armor_fetch_with(ptr::null(), base_url, code, grant_type, timeout_ms)
}

/// Redeems a fresh authorization code of the emulator's Armor at `base_url`.
pub fn armor_redeem(emulator: &Emulator, base_url: &str) -> Result<TokenView, Failure> {
    armor_fetch(
        base_url,
        &emulator.armor_code(),
        "authorization_code",
        10_000,
    )
}

pub fn armor_fetch_with(
    config: *const Config,
    base_url: &str,
    code: &str,
    grant_type: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((base, base_len), (code, code_len), (grant, grant_len)) =
        (arg(base_url), arg(code), arg(grant_type));
    token_call(|out| unsafe {
        nt_armor_token_fetch(
            config,
            base,
            base_len,
            code,
            code_len,
            grant,
            grant_len,
            timeout_ms,
            ptr::null(),
            out,
        )
    })
}

pub fn armor_reissue(
    base_url: &str,
    access_token: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    armor_reissue_with(ptr::null(), base_url, access_token, timeout_ms)
}

pub fn armor_reissue_with(
    config: *const Config,
    base_url: &str,
    access_token: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((base, base_len), (token, token_len)) = (arg(base_url), arg(access_token));
    token_call(|out| unsafe {
        nt_armor_token_reissue(
            config,
            base,
            base_len,
            token,
            token_len,
            timeout_ms,
            ptr::null(),
            out,
        )
    })
}

/// A session's calls (the session itself is made and freed in `handles`).
impl TestSession {
    pub fn begin(&self, endpoint: &str, jwt: &str) -> Result<TokenView, Failure> {
        self.begin_with(ptr::null(), ptr::null(), endpoint, jwt, 10_000)
    }

    pub fn begin_with(
        &self,
        config: *const Config,
        cancel: *const Cancel,
        endpoint: &str,
        jwt: &str,
        timeout_ms: u32,
    ) -> Result<TokenView, Failure> {
        let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
        token_call(|out| unsafe {
            nt_vc_session_begin(
                self.0,
                config,
                endpoint,
                endpoint_len,
                jwt,
                jwt_len,
                timeout_ms,
                cancel,
                out,
            )
        })
    }

    pub fn refresh(&self) -> Result<TokenView, Failure> {
        token_call(|out| unsafe {
            nt_vc_session_refresh(self.0, ptr::null(), 10_000, ptr::null(), out)
        })
    }
}

/// Takes the last error after `result` and returns its message, checking the kind.
pub fn failure_message(result: nt_result, expected: nt_result) -> String {
    assert_eq!(result, expected);
    take_failure(result).message
}

/// `nt_vc_token_fetch` with the default configuration, as a C caller makes it with these
/// bytes (pointer and length of each): its result, and the token it wrote (NULL if none; the
/// caller frees it).
pub fn fetch_bytes(endpoint: &[u8], jwt: &[u8]) -> (nt_result, *mut Token) {
    let mut token = ptr::null_mut();
    let result = unsafe {
        nt_vc_token_fetch(
            ptr::null(),
            endpoint.as_ptr(),
            endpoint.len(),
            jwt.as_ptr(),
            jwt.len(),
            0,
            ptr::null(),
            &mut token,
        )
    };
    (result, token)
}

/// A token from the emulator, fetched through the raw export, as a C caller gets it (the caller
/// frees it).
pub fn fetch_raw(emulator: &Emulator) -> *mut Token {
    let (endpoint, jwt) = (emulator.vc_endpoint(), fresh_jwt());
    let (result, token) = fetch_bytes(endpoint.as_bytes(), jwt.as_bytes());
    assert_eq!(result, nt_result::NT_OK);
    token
}

/// Makes a call fail and returns its error handle.
pub fn provoke_error() -> *mut Error {
    let result = unsafe {
        nt_vc_token_fetch(
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            0,
            0,
            ptr::null(),
            ptr::null_mut(),
        )
    };
    assert_eq!(result, nt_result::NT_INVALID_ARGUMENT);
    let error = nt_error_take_last();
    assert!(!error.is_null());
    error
}
