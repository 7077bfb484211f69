//! The registry of live handles. Every pointer handed to C is recorded with its type until it
//! is freed, so a double free, a freed handle, a never-issued address or a handle of the wrong
//! type is reported as `NT_INVALID_HANDLE` instead of being dereferenced.

use crate::cancel::Cancel;
use crate::config::{Config, ConfigBuilder};
use crate::error::{nt_result, Error};
use crate::session::VcSession;
use crate::token::Token;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// The handle types of the C ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleType {
    Token,
    Error,
    ConfigBuilder,
    Config,
    Cancel,
    VcSession,
}

/// A Rust type handed to C behind an opaque pointer.
pub trait Handle: Sized {
    const TYPE: HandleType;
}

/// Each handle type's `Handle` impl: the Rust type of the same name as its `HandleType`.
macro_rules! handle_impls {
    ($($name:ident),*) => {
        $(impl Handle for $name {
            const TYPE: HandleType = HandleType::$name;
        })*
    };
}

handle_impls!(Token, Error, ConfigBuilder, Config, Cancel, VcSession);

/// Address of each live handle → its type.
static LIVE: Lazy<Mutex<HashMap<usize, HandleType>>> = Lazy::new(Mutex::default);

/// The registry, even after a panic elsewhere: inserts and removes are single operations, so
/// a poisoned lock still guards a consistent map.
fn live() -> MutexGuard<'static, HashMap<usize, HandleType>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Moves `value` to the heap and records it; the caller now owns the pointer.
pub fn issue<T: Handle>(value: T) -> *mut T {
    let pointer = Box::into_raw(Box::new(value));
    live().insert(pointer as usize, T::TYPE);
    pointer
}

/// Whether `pointer` is a live handle of type `T`.
fn is_live<T: Handle>(pointer: *const T) -> bool {
    live().get(&(pointer as usize)) == Some(&T::TYPE)
}

fn null_handle() -> Error {
    Error::invalid_argument("the handle is NULL")
}

fn invalid_handle() -> Error {
    Error::new(
        nt_result::NT_INVALID_HANDLE,
        "the handle is not live: freed already, never issued, or of another type",
    )
}

/// The value behind a live handle, or None for NULL (where NULL means "the default").
///
/// # Safety
/// As for [`borrow`].
pub unsafe fn borrow_optional<'a, T: Handle>(pointer: *const T) -> Result<Option<&'a T>, Error> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { borrow(pointer) }.map(Some)
}

/// The value behind a live handle.
///
/// # Safety
/// If `pointer` is live, no other thread may free it while the reference is in use (the C
/// contract: a handle is freed once, after its last use).
pub unsafe fn borrow<'a, T: Handle>(pointer: *const T) -> Result<&'a T, Error> {
    if pointer.is_null() {
        return Err(null_handle());
    }
    if !is_live(pointer) {
        return Err(invalid_handle());
    }
    // SAFETY: live handles come from Box::into_raw in `issue` and are not yet released.
    Ok(unsafe { &*pointer })
}

/// The value behind a live handle, to change it.
///
/// # Safety
/// If `pointer` is live, no other thread may use or free it while the reference is in use (the
/// C contract for builders: one thread at a time).
pub unsafe fn borrow_mut<'a, T: Handle>(pointer: *mut T) -> Result<&'a mut T, Error> {
    // SAFETY: forwarded from the caller; `borrow` checked that the handle is live.
    unsafe { borrow(pointer) }?;
    Ok(unsafe { &mut *pointer })
}

/// Takes a handle back from C; dropping the box frees (and wipes) the value.
///
/// # Safety
/// No other thread may be using the handle.
pub unsafe fn release<T: Handle>(pointer: *mut T) -> Result<Box<T>, Error> {
    if pointer.is_null() {
        return Err(null_handle());
    }
    // Removing under the lock makes concurrent double frees safe: only one remove succeeds.
    let removed = {
        let mut live = live();
        match live.get(&(pointer as usize)) {
            Some(handle_type) if *handle_type == T::TYPE => {
                live.remove(&(pointer as usize)).is_some()
            }
            _ => false,
        }
    };
    if !removed {
        return Err(invalid_handle());
    }
    // SAFETY: the pointer came from Box::into_raw in `issue` and was live until just now.
    Ok(unsafe { Box::from_raw(pointer) })
}

pub fn live_count() -> usize {
    live().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_checked_by_address_and_type() {
        let cancel = issue(Cancel::default());
        let error = issue(Error::invalid_argument("e"));
        unsafe {
            assert!(!borrow(cancel).unwrap().is_triggered());
            assert_eq!(
                borrow(cancel as *const Error).unwrap_err().kind(),
                nt_result::NT_INVALID_HANDLE
            );
            assert_eq!(
                release(cancel as *mut Error).unwrap_err().kind(),
                nt_result::NT_INVALID_HANDLE
            );
            assert_eq!(
                borrow::<Cancel>(std::ptr::null()).unwrap_err().kind(),
                nt_result::NT_INVALID_ARGUMENT
            );
            assert!(borrow_optional::<Cancel>(std::ptr::null())
                .unwrap()
                .is_none());
            drop(release(cancel).unwrap());
            assert_eq!(
                release(cancel).unwrap_err().kind(),
                nt_result::NT_INVALID_HANDLE
            );
            assert_eq!(
                borrow_optional(cancel).unwrap_err().kind(),
                nt_result::NT_INVALID_HANDLE
            );
            drop(release(error).unwrap());
        }
    }
}
