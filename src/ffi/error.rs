//! Exports for reading a failed call's error (`nt_error`).

use super::{free_handle, number_field, take_last_error, text_field};
use crate::error::{nt_result, Error};
use crate::handles;
use std::panic::catch_unwind;

/// Takes the calling thread's last error: the one set by this thread's most recent call that
/// returned something other than `NT_OK`.
///
/// Returns NULL when there is none (never set, or taken already). Successful calls leave it as
/// it was, so take it right after the call that failed. The caller owns the returned handle and
/// frees it with `nt_error_free`. The last error is per thread; this is thread-safe.
#[no_mangle]
pub extern "C" fn nt_error_take_last() -> *mut Error {
    catch_unwind(|| take_last_error().map_or(std::ptr::null_mut(), handles::issue))
        .unwrap_or(std::ptr::null_mut())
}

/// The error's kind: the `nt_result` value the failed call returned.
///
/// Writes `*out_kind` only on `NT_OK`. Thread-safe; the handle must not be freed meanwhile.
///
/// # Safety
/// `out_kind` must be NULL or valid for a write of `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn nt_error_kind(e: *const Error, out_kind: *mut u32) -> nt_result {
    unsafe { number_field(e, ("out_kind", out_kind), |error| error.kind() as u32) }
}

/// The HTTP status the server answered with, for `NT_HTTP_STATUS` errors; 0 for other kinds.
///
/// Writes `*out_status` only on `NT_OK`. Thread-safe; the handle must not be freed meanwhile.
///
/// # Safety
/// `out_status` must be NULL or valid for a write of `uint16_t`.
#[no_mangle]
pub unsafe extern "C" fn nt_error_http_status(e: *const Error, out_status: *mut u16) -> nt_result {
    unsafe { number_field(e, ("out_status", out_status), Error::status) }
}

/// The error's message for people, e.g. `HTTP 401 Unauthorized from https://host/path:
/// invalid_client: the client assertion is invalid`. Never contains a secret of the call.
///
/// On `NT_OK`, writes a pointer to UTF-8 bytes (not NUL-terminated) and their count; the bytes
/// are borrowed from the handle and valid until `nt_error_free`. Thread-safe.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_error_message(
    e: *const Error,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(e, out_ptr, out_len, Error::message) }
}

/// The error's trace: one line per attempt made (request, outcome, retry decision), without
/// secrets; empty when no request was made.
///
/// On `NT_OK`, writes a pointer to UTF-8 bytes (not NUL-terminated) and their count; the bytes
/// are borrowed from the handle and valid until `nt_error_free`. Thread-safe.
///
/// # Safety
/// `out_ptr` and `out_len` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_error_trace(
    e: *const Error,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> nt_result {
    unsafe { text_field(e, out_ptr, out_len, Error::trace) }
}

/// Frees an error handle. NULL, or a handle freed already or never issued, is ignored.
///
/// # Safety
/// No other thread may be using the handle.
#[no_mangle]
pub unsafe extern "C" fn nt_error_free(e: *mut Error) {
    free_handle(e);
}
