//! Exports for the process-wide session store and the owned strings it hands out (`nt_string`).

use super::{armor_code_args, guard, handle_out, vc_args, write_text, Out};
use crate::error::nt_result;
use crate::handles;
use crate::secret::Secret;
use crate::session;
use crate::token::Token;

/// Reads an owned string: on `NT_OK` writes a pointer to its UTF-8 bytes (not NUL-terminated)
/// and their count, borrowed from the handle and valid until `nt_string_free`.
///
/// Nothing is written on failure. Thread-safe; the handle must not be freed meanwhile.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_string_get(
    s: *const Secret,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    guard(|| {
        let text = unsafe { handles::borrow(s) }?;
        let (out_ptr, out_len) = (Out::new("out_ptr", out_ptr)?, Out::new("out_len", out_len)?);
        unsafe { write_text(text.expose(), out_ptr, out_len) };
        Ok(())
    })
}

/// Frees an owned string and wipes it. Freeing twice, or a handle never issued, is
/// `NT_INVALID_HANDLE`; NULL is `NT_INVALID_ARGUMENT`.
///
/// # Safety
/// No other thread may be using the handle.
#[no_mangle]
pub unsafe extern "C" fn nt_string_free(s: *mut Secret) -> nt_result {
    guard(|| unsafe { handles::release(s) }.map(drop))
}

/// Begins the TLSPC session: fetches a token as `nt_vc_token_fetch` does and, only if that
/// succeeds, stores endpoint, JWT and token as the session (replacing and wiping any earlier
/// one). On failure the stored session is left exactly as it was.
///
/// On `NT_OK` writes `*out_token`, a copy the caller owns (`nt_token_free`). Thread-safe: the
/// request runs without the store locked; the session is replaced as a whole.
///
/// # Safety
/// Each pointer must be NULL or valid: inputs for `len` bytes, `out_token` for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_begin(
    endpoint: *const u8,
    endpoint_len: usize,
    jwt: *const u8,
    jwt_len: usize,
    timeout_ms: u32,
    out_token: *mut *mut Token,
) -> nt_result {
    unsafe {
        handle_out("out_token", out_token, || {
            let (endpoint, jwt) = vc_args(endpoint, endpoint_len, jwt, jwt_len)?;
            session::vc_begin(endpoint, jwt, timeout_ms)
        })
    }
}

/// Stores endpoint and JWT as the TLSPC session without a request (and without a token, until
/// `nt_vc_session_refresh`). Both are checked as for `nt_vc_token_fetch` (an expired JWT is
/// stored; refreshing with it fails with `NT_EXPIRED_JWT`). On failure the stored session is
/// left as it was. Thread-safe.
///
/// # Safety
/// Each input pointer must be NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_set(
    endpoint: *const u8,
    endpoint_len: usize,
    jwt: *const u8,
    jwt_len: usize,
) -> nt_result {
    guard(|| {
        let (endpoint, jwt) = unsafe { vc_args(endpoint, endpoint_len, jwt, jwt_len) }?;
        session::vc_set(endpoint, jwt)
    })
}

/// Fetches a new token with the stored endpoint and JWT and stores it in the session
/// (`NT_NO_SESSION` without a session). If another thread begins, sets or clears the session
/// meanwhile, the new token is returned but not stored. On failure the session is unchanged.
///
/// On `NT_OK` writes `*out_token`, a copy the caller owns (`nt_token_free`). Thread-safe.
///
/// # Safety
/// `out_token` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_refresh(
    timeout_ms: u32,
    out_token: *mut *mut Token,
) -> nt_result {
    unsafe { handle_out("out_token", out_token, || session::vc_refresh(timeout_ms)) }
}

/// The TLSPC session's endpoint (not secret); `NT_NO_SESSION` without a session.
///
/// On `NT_OK` writes `*out`, an owned string the caller frees with `nt_string_free`.
/// Thread-safe.
///
/// # Safety
/// `out` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_endpoint(out: *mut *mut Secret) -> nt_result {
    unsafe { handle_out("out", out, session::vc_endpoint) }
}

/// When the TLSPC session's token expires, in Unix milliseconds (UTC); `NT_NO_SESSION` without
/// a session or token.
///
/// Writes `*out` only on `NT_OK`. Thread-safe.
///
/// # Safety
/// `out` must be NULL or valid for a write of `int64_t`.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_expires_at_unix_ms(out: *mut i64) -> nt_result {
    guard(|| {
        let out = Out::new("out", out)?;
        let expires_at = session::vc_expires_at_unix_ms()?;
        unsafe { out.write(expires_at) };
        Ok(())
    })
}

/// The TLSPC session's JWT (secret); `NT_NO_SESSION` without a session.
///
/// On `NT_OK` writes `*out`, an owned string the caller frees with `nt_string_free` (which
/// wipes it). Thread-safe.
///
/// # Safety
/// `out` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_jwt(out: *mut *mut Secret) -> nt_result {
    unsafe { handle_out("out", out, session::vc_jwt) }
}

/// A copy of the TLSPC session's token (secret); `NT_NO_SESSION` without a session or token.
///
/// On `NT_OK` writes `*out_token`, owned by the caller (`nt_token_free`). Thread-safe.
///
/// # Safety
/// `out_token` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_token(out_token: *mut *mut Token) -> nt_result {
    unsafe { handle_out("out_token", out_token, session::vc_token) }
}

/// Begins the Armor session: redeems the code as `nt_armor_token_fetch` does and, only if that
/// succeeds, stores base URL and token as the session (replacing and wiping any earlier one).
/// On failure the stored session is left exactly as it was.
///
/// On `NT_OK` writes `*out_token`, a copy the caller owns (`nt_token_free`). Thread-safe.
///
/// # Safety
/// Each pointer must be NULL or valid: inputs for `len` bytes, `out_token` for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_armor_session_begin(
    base_url: *const u8,
    base_url_len: usize,
    code: *const u8,
    code_len: usize,
    grant_type: *const u8,
    grant_type_len: usize,
    timeout_ms: u32,
    out_token: *mut *mut Token,
) -> nt_result {
    unsafe {
        handle_out("out_token", out_token, || {
            let (base_url, code, grant_type) = armor_code_args(
                (base_url, base_url_len),
                (code, code_len),
                (grant_type, grant_type_len),
            )?;
            session::armor_begin(base_url, code, grant_type, timeout_ms)
        })
    }
}

/// Reissues the Armor session's token at `<base_url>/auth/token/reissue` and stores the new
/// one (`NT_NO_SESSION` without a session). If another thread begins or clears the session
/// meanwhile, the new token is returned but not stored. On failure the session is unchanged.
///
/// On `NT_OK` writes `*out_token`, a copy the caller owns (`nt_token_free`). Thread-safe.
///
/// # Safety
/// `out_token` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_armor_session_reissue(
    timeout_ms: u32,
    out_token: *mut *mut Token,
) -> nt_result {
    unsafe {
        handle_out("out_token", out_token, || {
            session::armor_reissue(timeout_ms)
        })
    }
}

/// A copy of the Armor session's token (secret); `NT_NO_SESSION` without a session.
///
/// On `NT_OK` writes `*out_token`, owned by the caller (`nt_token_free`). Thread-safe.
///
/// # Safety
/// `out_token` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_armor_session_token(out_token: *mut *mut Token) -> nt_result {
    unsafe { handle_out("out_token", out_token, session::armor_token) }
}

/// Forgets both sessions and wipes their secrets. Always `NT_OK` (barring `NT_PANIC`).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn nt_session_clear() -> nt_result {
    guard(|| {
        session::clear();
        Ok(())
    })
}
