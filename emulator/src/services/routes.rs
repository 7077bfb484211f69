//! Every path the emulator answers: its route, the one method it takes, its key in the
//! statistics and the success body its faults are shaped on.
//!
//! To add a route: a variant here (with its path in `of`, and an arm in each match below, which
//! the compiler asks for), the handler in the service's file (`tlspc.rs`, `armor.rs`), and its
//! arm in `App::route` (`app.rs`); then a test in `tests/routes.rs`.

use hyper::Method;
use serde_json::Value;

use crate::services::{armor, tlspc};

pub const STATS_PATH: &str = "/_emulator/stats";
/// The statistics key of requests to no known route.
const OTHER_ROUTE: &str = "other";

#[derive(Clone, Copy, PartialEq)]
pub enum Route {
    TlspcToken,
    ArmorAuthorize,
    ArmorToken,
    ArmorReissue,
    TlspcUserAccounts,
    ArmorMe,
    ArmorAccounts,
    Stats,
    Other,
}

impl Route {
    pub fn of(path: &str) -> Route {
        match path {
            armor::AUTHORIZE_ROUTE => Route::ArmorAuthorize,
            armor::TOKEN_ROUTE => Route::ArmorToken,
            armor::REISSUE_ROUTE => Route::ArmorReissue,
            armor::ME_ROUTE => Route::ArmorMe,
            armor::ACCOUNTS_ROUTE => Route::ArmorAccounts,
            tlspc::USER_ACCOUNTS_ROUTE => Route::TlspcUserAccounts,
            STATS_PATH => Route::Stats,
            _ if tlspc::tenant_of(path).is_some() => Route::TlspcToken,
            _ => Route::Other,
        }
    }

    pub fn stats_key(self) -> &'static str {
        match self {
            Route::TlspcToken => tlspc::ROUTE,
            Route::ArmorAuthorize => armor::AUTHORIZE_ROUTE,
            Route::ArmorToken => armor::TOKEN_ROUTE,
            Route::ArmorReissue => armor::REISSUE_ROUTE,
            Route::ArmorMe => armor::ME_ROUTE,
            Route::ArmorAccounts => armor::ACCOUNTS_ROUTE,
            Route::TlspcUserAccounts => tlspc::USER_ACCOUNTS_ROUTE,
            Route::Stats => STATS_PATH,
            Route::Other => OTHER_ROUTE,
        }
    }

    /// The one method the route accepts; None: any (it answers 404 anyway).
    pub fn method(self) -> Option<Method> {
        match self {
            Route::Stats | Route::TlspcUserAccounts | Route::ArmorMe | Route::ArmorAccounts => {
                Some(Method::GET)
            }
            Route::Other => None,
            _ => Some(Method::POST),
        }
    }

    /// The normal success body, the base of success-shaped faults.
    pub fn token_body(self) -> fn() -> Value {
        match self {
            Route::ArmorAuthorize
            | Route::ArmorToken
            | Route::ArmorReissue
            | Route::ArmorMe
            | Route::ArmorAccounts => armor::token_body,
            _ => tlspc::token_body,
        }
    }
}

/// The routes counted in the statistics (all but the statistics themselves), each listed there
/// from the start, with 0 requests.
pub const COUNTED: [Route; 8] = [
    Route::TlspcToken,
    Route::ArmorAuthorize,
    Route::ArmorToken,
    Route::ArmorReissue,
    Route::TlspcUserAccounts,
    Route::ArmorMe,
    Route::ArmorAccounts,
    Route::Other,
];
