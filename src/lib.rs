//! NativeToken: obtains API tokens from Venafi TLS Protect Cloud (TLSPC) and Armor, behind the
//! C ABI described in `docs/ABI.md` and declared in `include/native_token.h`.
//!
//! The C functions live in `ffi` and are re-exported here. Behind them: pure checks and parsing
//! (`jwt`, `url_check`, `error_body`, `token`), the one module that does network I/O (`http`, with what
//! `connection_log` tells it about its connections, and `wait` for how the calling thread waits),
//! the two services' requests (`tlspc`, `armor`), the handles a caller owns (`config`,
//! `cancel`, `session`, `token`, `error`), and the registry of live `handles`.

mod armor;
mod cancel;
mod clock;
mod config;
mod connection_log;
mod error;
mod error_body;
mod ffi;
mod handles;
mod http;
mod jwt;
mod secret;
mod session;
mod tlspc;
mod token;
mod url_check;
mod wait;
mod windows_codes;

pub use cancel::Cancel;
pub use config::{Config, ConfigBuilder};
pub use error::{nt_result, Error};
pub use ffi::*;
pub use session::VcSession;
pub use token::Token;

/// Number of handles (of every type) issued and not yet freed, process-wide.
/// For leak tests only; not part of the C ABI.
#[doc(hidden)]
pub fn live_handle_count() -> usize {
    handles::live_count()
}
