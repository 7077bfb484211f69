//! A TLSPC session: the endpoint and JWT a token was last begun with, kept natively so that a
//! refresh needs nothing from the caller, and the JWT never crosses the ABI again. One per
//! owner (the PowerShell module keeps one per module scope, i.e. per runspace): sessions never
//! share state.

use crate::error::{nt_result, Error};
use crate::http::CallOptions;
use crate::secret::Secret;
use crate::tlspc;
use crate::token::Token;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A TLSPC session (opaque): the endpoint and JWT of its last successful begin. Made with
/// `nt_vc_session_new`, freed once with `nt_vc_session_free`, which wipes the JWT.
//
// The lock is held only to read or replace the credentials, never during a request, so a
// refresh on one thread does not block a begin on another.
#[derive(Default)]
pub struct VcSession {
    credentials: Mutex<Option<Credentials>>,
}

/// What a refresh sends again.
#[derive(Clone)]
struct Credentials {
    endpoint: String,
    jwt: Secret,
}

impl VcSession {
    /// Fetches a token and, only if that succeeds, makes `endpoint` and `jwt` the session's,
    /// wiping the JWT they replace.
    pub fn begin(
        &self,
        endpoint: &str,
        jwt: &str,
        options: &CallOptions<'_>,
    ) -> Result<Token, Error> {
        let token = tlspc::fetch_token(endpoint, jwt, options)?;
        *self.lock() = Some(Credentials {
            endpoint: endpoint.to_owned(),
            jwt: Secret::from(jwt),
        });
        Ok(token)
    }

    /// Fetches a new token with the session's endpoint and JWT; the session itself is not
    /// changed.
    pub fn refresh(&self, options: &CallOptions<'_>) -> Result<Token, Error> {
        // A copy, so that no lock is held during the request; wiped when it drops.
        let credentials = self.lock().clone().ok_or_else(|| {
            Error::new(
                nt_result::NT_NO_SESSION,
                "the TLSPC session has not begun; begin it with an endpoint and a JWT",
            )
        })?;
        tlspc::fetch_token(&credentials.endpoint, credentials.jwt.expose(), options)
    }

    /// The credentials, even after a panic elsewhere: they are only ever replaced whole, so a
    /// poisoned lock still guards a consistent value.
    fn lock(&self) -> MutexGuard<'_, Option<Credentials>> {
        self.credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_session_cannot_refresh_and_a_failed_begin_stores_nothing() {
        let session = VcSession::default();
        let options = CallOptions::new(None, 1, None);
        assert_eq!(
            session.refresh(&options).unwrap_err().kind(),
            nt_result::NT_NO_SESSION
        );
        let error = session.begin("not a url", "a.b.c", &options).unwrap_err();
        assert_eq!(error.kind(), nt_result::NT_INVALID_URL);
        assert_eq!(
            session.refresh(&options).unwrap_err().kind(),
            nt_result::NT_NO_SESSION
        );
    }
}
