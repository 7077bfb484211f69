//! Exports for TLSPC sessions (`nt_vc_session`).

use super::{call_options, free_handle, handle_out, vc_args};
use crate::cancel::Cancel;
use crate::config::Config;
use crate::error::{nt_result, Error};
use crate::handles;
use crate::http::CallOptions;
use crate::session::VcSession;
use crate::token::Token;

/// Makes an empty TLSPC session. The PowerShell module keeps one per module scope: sessions
/// never share state, so two runspaces never see each other's.
///
/// On `NT_OK` writes `*out_session`; the caller owns it and frees it with
/// `nt_vc_session_free`.
///
/// # Safety
/// `out_session` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_new(out_session: *mut *mut VcSession) -> nt_result {
    unsafe { handle_out("out_session", out_session, || Ok(VcSession::default())) }
}

/// Begins (or begins again) the session: fetches a token as `nt_vc_token_fetch` does and, only
/// if that succeeds, makes `endpoint` and `jwt` the session's, wiping the JWT they replace. A
/// failed or cancelled call leaves the session exactly as it was.
///
/// On `NT_OK` writes `*out_token`, owned by the caller (`nt_token_free`). Thread-safe: the
/// request runs without the session locked.
///
/// # Safety
/// Each pointer must be NULL or valid: handles live during the call, inputs for `len` bytes,
/// `out_token` for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_begin(
    session: *mut VcSession,
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
        session_call(
            session,
            (config, timeout_ms, cancel),
            out_token,
            |session, options| {
                let (endpoint, jwt) = vc_args(endpoint, endpoint_len, jwt, jwt_len)?;
                session.begin(endpoint, jwt, options)
            },
        )
    }
}

/// Fetches a new token with the endpoint and JWT the session was begun with (read here, not
/// passed again); `NT_NO_SESSION` if it was never begun. The session itself does not change.
///
/// On `NT_OK` writes `*out_token`, owned by the caller (`nt_token_free`). Thread-safe.
///
/// # Safety
/// Each pointer must be NULL or valid: handles live during the call, `out_token` for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_refresh(
    session: *const VcSession,
    config: *const Config,
    timeout_ms: u32,
    cancel: *const Cancel,
    out_token: *mut *mut Token,
) -> nt_result {
    let options = (config, timeout_ms, cancel);
    unsafe { session_call(session, options, out_token, VcSession::refresh) }
}

/// Frees a session and wipes its JWT. NULL, or a handle freed already or never issued, is
/// ignored.
///
/// # Safety
/// No call may be using the session.
#[no_mangle]
pub unsafe extern "C" fn nt_vc_session_free(session: *mut VcSession) {
    free_handle(session);
}

/// Runs a session call inside the panic boundary: `out_token` is checked first, then the
/// session borrowed, then the configuration, timeout and cancellation read, and `call` given
/// the session and the options; its token is handed out as for `handle_out`.
///
/// # Safety
/// `session` and the handles of `options` NULL or live during the call; `out_token` NULL or
/// valid for a write.
unsafe fn session_call(
    session: *const VcSession,
    (config, timeout_ms, cancel): (*const Config, u32, *const Cancel),
    out_token: *mut *mut Token,
    call: impl FnOnce(&VcSession, &CallOptions<'_>) -> Result<Token, Error>,
) -> nt_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        handle_out("out_token", out_token, || {
            let session = handles::borrow(session)?;
            call(session, &call_options(config, timeout_ms, cancel)?)
        })
    }
}
