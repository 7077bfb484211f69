//! The emulator package's library: the code of its three binaries, and a launcher for tests.
//!
//! - [`services`]: `native-token-emulator`, the TLS Protect Cloud and Armor token services.
//! - [`proxy`]: `native-token-proxy`, a forward HTTP proxy (CONNECT and absolute-form requests).
//! - [`relay`]: `native-token-relay`, a TCP relay that adds round trips (a delay line).
//! - Shared by all three: [`program`] (a binary's main: arguments, exit codes, announcement,
//!   shutdown), [`args`], [`net`] (loopback listeners and upstream connections), [`line_log`],
//!   [`shutdown`].
//! - [`launcher`]: starts one of the built binaries and reads its announcement, for tests.
//!
//! Every binary listens on 127.0.0.1 only, prints its addresses and then `ready` on stdout, and
//! serves until SIGTERM or SIGINT.

pub mod args;
pub mod launcher;
pub mod line_log;
pub mod net;
pub mod program;
pub mod proxy;
pub mod relay;
pub mod services;
pub mod shutdown;
