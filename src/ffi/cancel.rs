//! Exports for cancellations (`nt_cancel`).

use super::{free_handle, guard, handle_out};
use crate::cancel::Cancel;
use crate::error::nt_result;
use crate::handles;

/// Makes a cancellation, not triggered, for calls to watch.
///
/// On `NT_OK` writes `*out_cancel`; the caller owns it and frees it with `nt_cancel_free`.
///
/// # Safety
/// `out_cancel` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_cancel_new(out_cancel: *mut *mut Cancel) -> nt_result {
    unsafe { handle_out("out_cancel", out_cancel, || Ok(Cancel::default())) }
}

/// Triggers a cancellation: every call watching it stops waiting, drops its request and
/// returns `NT_CANCELLED` within milliseconds; calls given it later return `NT_CANCELLED`
/// without a request. Permanent and idempotent.
///
/// Thread-safe: meant to be called from another thread than the call it stops, also while
/// that call runs.
///
/// # Safety
/// The handle must not be freed meanwhile.
#[no_mangle]
pub unsafe extern "C" fn nt_cancel_trigger(cancel: *const Cancel) -> nt_result {
    guard(|| {
        unsafe { handles::borrow(cancel) }?.trigger();
        Ok(())
    })
}

/// Frees a cancellation. NULL, or a handle freed already or never issued, is ignored.
///
/// # Safety
/// No call may be watching it, and no other thread using it.
#[no_mangle]
pub unsafe extern "C" fn nt_cancel_free(cancel: *mut Cancel) {
    free_handle(cancel);
}
