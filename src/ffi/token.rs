//! Exports for the stateless token calls and for reading a token (`nt_token`).

use super::{
    armor_code_args, free_handle, number_field, text_arg, text_field, token_call, url_arg, vc_args,
};
use crate::armor;
use crate::cancel::Cancel;
use crate::config::Config;
use crate::error::nt_result;
use crate::tlspc;
use crate::token::Token;

/// Requests a TLS Protect Cloud access token: POSTs the JWT as an OAuth client assertion to
/// `endpoint` (e.g. `https://api.venafi.cloud/v1/oauth2/v2.0/<tenant-guid>/token`).
///
/// `config` (NULL: direct connections, the system's trusted CAs) says how to connect.
/// `endpoint` and `jwt` are UTF-8, not NUL-terminated, non-empty, at most 64 KiB. The endpoint
/// must be https (http only to loopback). A malformed or expired JWT is refused before any
/// request. `timeout_ms` bounds the whole call, retries included; 0 means 30 s. `cancel` (or
/// NULL) stops the call when triggered, with `NT_CANCELLED`. Blocks the calling thread until
/// done.
///
/// On `NT_OK` writes `*out_token`; the caller owns it and frees it with `nt_token_free`. On
/// failure nothing is written and the thread's last error says why. Thread-safe.
///
/// # Safety
/// Each pointer must be NULL or valid: handles live during the call, inputs for `len` bytes,
/// `out_token` for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_token_fetch(
    config: *const Config,
    endpoint: *const u8,
    endpoint_len: usize,
    jwt: *const u8,
    jwt_len: usize,
    timeout_ms: u32,
    cancel: *const Cancel,
    out_token: *mut *mut Token,
) -> nt_result {
    unsafe {
        token_call(out_token, (config, timeout_ms, cancel), |options| {
            let (endpoint, jwt) = vc_args(endpoint, endpoint_len, jwt, jwt_len)?;
            tlspc::fetch_token(endpoint, jwt, options)
        })
    }
}

/// Redeems an Armor temporary authorization code: POSTs
/// `{"code":"<code>","grant_type":"authorization_code"}` to `<base_url>/auth/token`.
///
/// `base_url` is e.g. `https://api.armor.com:443`. `grant_type` must be `authorization_code` in
/// any casing (`NT_INVALID_ARGUMENT` otherwise); it is sent lower-case. Strings are UTF-8, not
/// NUL-terminated, non-empty, at most 64 KiB. `config`, `timeout_ms` and `cancel` as for
/// `nt_vc_token_fetch`. Blocks the calling thread until done.
///
/// On `NT_OK` writes `*out_token` (caller owns it, `nt_token_free`); on failure nothing is
/// written. Thread-safe.
///
/// # Safety
/// Each pointer must be NULL or valid: handles live during the call, inputs for `len` bytes,
/// `out_token` for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_armor_token_fetch(
    config: *const Config,
    base_url: *const u8,
    base_url_len: usize,
    code: *const u8,
    code_len: usize,
    grant_type: *const u8,
    grant_type_len: usize,
    timeout_ms: u32,
    cancel: *const Cancel,
    out_token: *mut *mut Token,
) -> nt_result {
    unsafe {
        token_call(out_token, (config, timeout_ms, cancel), |options| {
            let (base_url, code, grant_type) = armor_code_args(
                (base_url, base_url_len),
                (code, code_len),
                (grant_type, grant_type_len),
            )?;
            armor::fetch_token(base_url, code, grant_type, options)
        })
    }
}

/// Renews an Armor session: POSTs `{"token":"<access_token>"}` to
/// `<base_url>/auth/token/reissue` and returns the new token.
///
/// Strings are UTF-8, not NUL-terminated, non-empty, at most 64 KiB. `config`, `timeout_ms`
/// and `cancel` as for `nt_vc_token_fetch`. Blocks the calling thread until done.
///
/// On `NT_OK` writes `*out_token` (caller owns it, `nt_token_free`); on failure nothing is
/// written. Thread-safe.
///
/// # Safety
/// Each pointer must be NULL or valid: handles live during the call, inputs for `len` bytes,
/// `out_token` for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_armor_token_reissue(
    config: *const Config,
    base_url: *const u8,
    base_url_len: usize,
    access_token: *const u8,
    access_token_len: usize,
    timeout_ms: u32,
    cancel: *const Cancel,
    out_token: *mut *mut Token,
) -> nt_result {
    unsafe {
        token_call(out_token, (config, timeout_ms, cancel), |options| {
            let base_url = url_arg("base_url", base_url, base_url_len, &armor::BASE_URL)?;
            let access_token = text_arg("access_token", access_token, access_token_len)?;
            armor::reissue_token(base_url, access_token, options)
        })
    }
}

/// The access token (secret).
///
/// Token getters: on `NT_OK` they write a pointer to UTF-8 bytes (not NUL-terminated) and
/// their count, borrowed from the token and valid until `nt_token_free`; an empty string
/// (length 0) when the service sent none. On failure nothing is written. A token may be read
/// from several threads at once, but must not be freed while read.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_access_token(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::access_token) }
}

/// The token type as sent (`Bearer` for TLSPC). Borrowed, as for `nt_token_access_token`.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_token_type(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::token_type) }
}

/// The scope (TLSPC); empty when none was sent. Borrowed, as for `nt_token_access_token`.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_scope(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::scope) }
}

/// The id token (Armor, secret); empty when none was sent. Borrowed, as for
/// `nt_token_access_token`.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_id_token(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::id_token) }
}

/// The URL the token was requested from: the endpoint as given (TLSPC), or the full
/// `/auth/token` or `/auth/token/reissue` URL (Armor). Borrowed, as for `nt_token_access_token`.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_endpoint(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::endpoint) }
}

/// The JWT the token was requested with (TLSPC, secret); empty for Armor. Borrowed, as for
/// `nt_token_access_token`.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_jwt(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::jwt) }
}

/// The service's answer body as received (JSON, secret). Borrowed, as for
/// `nt_token_access_token`.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_response_json(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::response_json) }
}

/// One line per attempt made for this token (request, outcome, retry decision); no secrets.
/// Borrowed, as for `nt_token_access_token`.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_token_trace(
    t: *const Token,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(t, out_ptr, out_len, Token::trace) }
}

/// `expires_in` as the service sent it: seconds (TLSPC) or minutes (Armor).
///
/// Writes `*out` only on `NT_OK`. Thread-safe; the token must not be freed meanwhile.
///
/// # Safety
/// `out` must be NULL or valid for a write of `int64_t`.
#[no_mangle]
pub unsafe extern "C" fn nt_token_expires_in(t: *const Token, out: *mut i64) -> nt_result {
    unsafe { number_field(t, ("out", out), Token::expires_in) }
}

/// When the token expires, in milliseconds since the Unix epoch (UTC): the time the answer
/// arrived plus `expires_in`.
///
/// Writes `*out` only on `NT_OK`. Thread-safe; the token must not be freed meanwhile.
///
/// # Safety
/// `out` must be NULL or valid for a write of `int64_t`.
#[no_mangle]
pub unsafe extern "C" fn nt_token_expires_at_unix_ms(t: *const Token, out: *mut i64) -> nt_result {
    unsafe { number_field(t, ("out", out), Token::expires_at_unix_ms) }
}

/// Frees a token and wipes its secrets. NULL, or a handle freed already or never issued, is
/// ignored.
///
/// # Safety
/// No other thread may be using the token.
#[no_mangle]
pub unsafe extern "C" fn nt_token_free(t: *mut Token) {
    free_handle(t);
}
