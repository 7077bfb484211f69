//! The C ABI (docs/ABI.md): argument checks, the panic boundary, and out-pointer writing.
//! The work itself is done by the modules of the crate root; nothing here talks to the network
//! or holds state beyond the calling thread's last error.

mod cancel;
mod config;
mod error;
mod session;
mod token;

pub use cancel::*;
pub use config::*;
pub use error::*;
pub use session::*;
pub use token::*;

use crate::cancel::Cancel;
use crate::config::Config;
use crate::error::{nt_result, Error};
use crate::handles::{self, Handle};
use crate::http::CallOptions;
use crate::token::Token;
use crate::url_check::UrlRole;
use std::any::Any;
use std::cell::RefCell;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

/// Longest string argument accepted, in bytes.
const MAX_INPUT_BYTES: usize = 64 * 1024;

thread_local! {
    /// The error of this thread's last failed call, until taken.
    static LAST_ERROR: RefCell<Option<Error>> = const { RefCell::new(None) };
}

/// Runs one export's body: a panic becomes `NT_PANIC`, and any failure becomes this thread's
/// last error. The body writes its out-pointers as its last step, so they are written only when
/// it returns `Ok`.
///
/// Unwind safety is asserted: no state the library keeps can be left half-updated by a panic
/// (sessions and registries replace whole values under locks that tolerate poisoning, and a
/// lane a panicking call held is dropped, not reused).
fn guard(body: impl FnOnce() -> Result<(), Error>) -> nt_result {
    match catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(panic_error(payload.as_ref())))
    {
        Ok(()) => nt_result::NT_OK,
        Err(error) => {
            let kind = error.kind();
            set_last_error(error);
            kind
        }
    }
}

/// Runs a `*_free`: NULL is accepted and a handle that is not live is ignored, as `free()`
/// ignores NULL; a panic (there is none to expect: the drop only wipes and frees) is swallowed,
/// since the function returns nothing.
fn free_handle<T: Handle>(pointer: *mut T) {
    if pointer.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the C contract: no other thread is using the handle while it is freed.
        drop(unsafe { handles::release(pointer) });
    }));
}

/// Only a literal panic message is passed on: a formatted one could, in principle, hold data
/// from the call.
fn panic_error(payload: &(dyn Any + Send)) -> Error {
    let detail = payload
        .downcast_ref::<&'static str>()
        .copied()
        .unwrap_or("details withheld");
    Error::new(
        nt_result::NT_PANIC,
        format!("an internal error (panic) was caught in NativeToken: {detail}; please report it"),
    )
}

fn set_last_error(error: Error) {
    // During thread teardown the slot may be gone; the error then has no one to read it.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = Some(error));
}

fn take_last_error() -> Option<Error> {
    LAST_ERROR
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
}

/// A string argument: `len` bytes of UTF-8 at `ptr`, not NUL-terminated, non-empty, at most
/// 64 KiB. Messages name the parameter, never its value.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that stay unchanged during the call.
unsafe fn text_arg<'a>(name: &str, ptr: *const u8, len: usize) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    if len == 0 {
        return Err(Error::invalid_argument(format!("{name} is empty")));
    }
    if len > MAX_INPUT_BYTES {
        return Err(Error::invalid_argument(format!(
            "{name} is too long: {len} bytes, at most {MAX_INPUT_BYTES}"
        )));
    }
    // SAFETY: the caller promises `len` readable bytes at the non-null `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    std::str::from_utf8(bytes).map_err(|invalid| {
        Error::invalid_argument(format!(
            "{name} is not valid UTF-8 (at byte {})",
            invalid.valid_up_to()
        ))
    })
}

/// The endpoint and JWT arguments of the TLSPC calls.
///
/// # Safety
/// As for [`text_arg`], for both pairs.
unsafe fn vc_args<'a>(
    endpoint: *const u8,
    endpoint_len: usize,
    jwt: *const u8,
    jwt_len: usize,
) -> Result<(&'a str, &'a str), Error> {
    // SAFETY: forwarded from the caller.
    unsafe {
        Ok((
            url_arg("endpoint", endpoint, endpoint_len, &crate::tlspc::ENDPOINT)?,
            text_arg("jwt", jwt, jwt_len)?,
        ))
    }
}

/// A URL argument: as [`text_arg`], except that a value too long to take that is not an
/// absolute http(s) URL at all is refused as such (`NT_INVALID_URL`): what it is says more than
/// its length (and a caller may word that kind its own way).
///
/// # Safety
/// As for [`text_arg`].
unsafe fn url_arg<'a>(
    name: &str,
    ptr: *const u8,
    len: usize,
    role: &UrlRole,
) -> Result<&'a str, Error> {
    // SAFETY: forwarded from the caller.
    let too_long = match unsafe { text_arg(name, ptr, len) } {
        Err(error) if len > MAX_INPUT_BYTES && !ptr.is_null() => error,
        other => return other,
    };
    // SAFETY: the caller promises `len` readable bytes at the non-null `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    match std::str::from_utf8(bytes).map(|text| crate::url_check::checked_url(text, role)) {
        Ok(Err(not_a_url)) if not_a_url.kind() == nt_result::NT_INVALID_URL => Err(not_a_url),
        _ => Err(too_long),
    }
}

/// The base URL, code and grant type arguments of the Armor code redemption calls.
///
/// # Safety
/// As for [`text_arg`], for all three pairs.
unsafe fn armor_code_args<'a>(
    base_url: (*const u8, usize),
    code: (*const u8, usize),
    grant_type: (*const u8, usize),
) -> Result<(&'a str, &'a str, &'a str), Error> {
    // SAFETY: forwarded from the caller.
    unsafe {
        Ok((
            url_arg("base_url", base_url.0, base_url.1, &crate::armor::BASE_URL)?,
            text_arg("code", code.0, code.1)?,
            text_arg("grant_type", grant_type.0, grant_type.1)?,
        ))
    }
}

/// The configuration, timeout and cancellation every network call takes. NULL configuration
/// and cancellation mean the default configuration and no cancellation.
///
/// # Safety
/// Each pointer must be NULL or a handle that stays live during the call.
unsafe fn call_options<'a>(
    config: *const Config,
    timeout_ms: u32,
    cancel: *const Cancel,
) -> Result<CallOptions<'a>, Error> {
    // SAFETY: forwarded from the caller.
    let (config, cancel) = unsafe {
        (
            handles::borrow_optional(config)?,
            handles::borrow_optional(cancel)?,
        )
    };
    Ok(CallOptions::new(config, timeout_ms, cancel))
}

/// Runs `call` inside the panic boundary and hands its result out through `out` as a new
/// handle the caller owns. The out-pointer is checked before the call (no request is made for
/// a caller that could not receive the result) and written only when the call succeeded.
///
/// # Safety
/// `out` must be NULL or valid for a write.
unsafe fn handle_out<T: Handle>(
    name: &str,
    out: *mut *mut T,
    call: impl FnOnce() -> Result<T, Error>,
) -> nt_result {
    guard(|| {
        let out = Out::new(name, out)?;
        let value = call()?;
        // SAFETY: forwarded from the caller.
        unsafe { out.write(handles::issue(value)) };
        Ok(())
    })
}

/// Runs one of the calls that make a token, inside the panic boundary: `out_token` is checked
/// first, then the configuration, timeout and cancellation are read (see [`call_options`]), and
/// `call` is given them; its token is handed out as for [`handle_out`].
///
/// # Safety
/// As for [`handle_out`] and [`call_options`].
unsafe fn token_call(
    out_token: *mut *mut Token,
    (config, timeout_ms, cancel): (*const Config, u32, *const Cancel),
    call: impl FnOnce(&CallOptions<'_>) -> Result<Token, Error>,
) -> nt_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        handle_out("out_token", out_token, || {
            call(&call_options(config, timeout_ms, cancel)?)
        })
    }
}

/// Writes one text field of a live handle as a borrowed view (`out_ptr`, `out_len`), inside the
/// panic boundary.
///
/// # Safety
/// `handle` as for [`handles::borrow`]; `out_ptr` and `out_len` NULL or valid for a write.
unsafe fn text_field<T: Handle>(
    handle: *const T,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
    field: fn(&T) -> &str,
) -> nt_result {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let value = unsafe { handles::borrow(handle) }?;
        let (out_ptr, out_len) = (Out::new("out_ptr", out_ptr)?, Out::new("out_len", out_len)?);
        // SAFETY: forwarded from the caller; the text lives as long as the handle.
        unsafe { write_text(field(value), out_ptr, out_len) };
        Ok(())
    })
}

/// Writes one number field of a live handle to `out` (named `out_name` in messages), inside the
/// panic boundary.
///
/// # Safety
/// `handle` as for [`handles::borrow`]; `out` NULL or valid for a write.
unsafe fn number_field<T: Handle, N>(
    handle: *const T,
    (out_name, out): (&str, *mut N),
    field: fn(&T) -> N,
) -> nt_result {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let value = unsafe { handles::borrow(handle) }?;
        let out = Out::new(out_name, out)?;
        // SAFETY: forwarded from the caller.
        unsafe { out.write(field(value)) };
        Ok(())
    })
}

/// An out-pointer, checked for NULL before any work is done and written only at the end.
struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    fn new(name: &str, ptr: *mut T) -> Result<Out<T>, Error> {
        NonNull::new(ptr)
            .map(Out)
            .ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))
    }

    /// # Safety
    /// The pointer must be valid for a write of `T` (the caller's promise in the C contract).
    unsafe fn write(self, value: T) {
        // SAFETY: non-null by construction; validity is the caller's promise. `write` does not
        // drop the previous contents, which may be uninitialised.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// One byte to point at for empty strings, so that a returned pointer is never dangling.
static EMPTY: u8 = 0;

/// Writes a borrowed view of `text` to `out_ptr`/`out_len`.
///
/// # Safety
/// As for [`Out::write`]; `text` must live as long as the caller is told it does.
unsafe fn write_text(text: &str, out_ptr: Out<*const u8>, out_len: Out<usize>) {
    let start = if text.is_empty() {
        &EMPTY as *const u8
    } else {
        text.as_ptr()
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        out_ptr.write(start);
        out_len.write(text.len());
    }
}

/// The library's version (the crate's, `MAJOR.MINOR.PATCH`), e.g. `"0.2.0"`.
///
/// Returns a static NUL-terminated string; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn nt_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The name of a result code, e.g. `"HttpStatus"` for 7; `"Unknown"` for any other value.
///
/// Returns a static NUL-terminated string; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn nt_result_name(result: u32) -> *const c_char {
    nt_result::from_u32(result)
        .map_or("Unknown\0", nt_result::name_with_nul)
        .as_ptr()
        .cast()
}

/// Test builds only (`test-hooks` feature): panics inside the panic boundary, to prove that a
/// panic never unwinds into the caller.
///
/// Always returns `NT_PANIC` and sets the thread's last error. Thread-safe.
#[cfg(feature = "test-hooks")]
#[no_mangle]
pub extern "C" fn nt_test_trigger_panic() -> nt_result {
    guard(|| panic!("nt_test_trigger_panic was called"))
}
