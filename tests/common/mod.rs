//! Shared by the integration tests, one file per concern: the servers they talk to (`servers`),
//! JWTs (`jwt`), calling the exports as a C caller does (`calls`), handles a test owns
//! (`handles`) and shared assertions (`assertions`).

// Each test binary uses a different part of this module (and of its re-exports).
#![allow(dead_code, unused_imports)]

mod assertions;
mod calls;
mod handles;
mod jwt;
mod servers;

pub use assertions::*;
pub use calls::*;
pub use handles::*;
pub use jwt::*;
pub use servers::*;

/// A tenant GUID, as in the TLSPC endpoint users copy.
pub const TENANT: &str = "2222c771-61f3-11ec-8a47-490a1e43c222";
/// A TLSPC endpoint no request reaches (TEST-NET-1 is never routed): for calls that must be
/// refused before any request.
pub const UNSENT_ENDPOINT: &str =
    "https://192.0.2.1/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token";
/// Route names in the emulator's statistics.
pub const VC_ROUTE: &str = "/v1/oauth2/v2.0/{tenant}/token";
pub const ARMOR_TOKEN_ROUTE: &str = "/auth/token";
pub const ARMOR_REISSUE_ROUTE: &str = "/auth/token/reissue";
