//! The process-wide session store: one TLSPC session and one Armor session, shared by every
//! thread. Network calls run without the lock held; a result is stored only if the call
//! succeeded, and only as a whole, so readers never see a half-updated or mixed-up session.

use crate::armor;
use crate::error::{nt_result, Error};
use crate::secret::Secret;
use crate::tlspc;
use crate::token::Token;
use once_cell::sync::Lazy;
use std::sync::{Mutex, MutexGuard};

/// A TLSPC session: where to refresh, with what, and the last token (if any).
struct VcSession {
    endpoint: String,
    jwt: Secret,
    token: Option<Token>,
}

/// An Armor session: where it lives and its current token.
struct ArmorSession {
    base_url: String,
    token: Token,
}

#[derive(Default)]
struct Store {
    vc: Option<VcSession>,
    armor: Option<ArmorSession>,
    /// Bumped whenever a session is begun, set or cleared: a refresh that started before such a
    /// change must not overwrite its outcome with a token of the older session.
    generation: u64,
}

static STORE: Lazy<Mutex<Store>> = Lazy::new(Mutex::default);

/// The store, even after a panic elsewhere: every update assigns whole values, so a poisoned
/// lock still guards a consistent store.
fn store() -> MutexGuard<'static, Store> {
    STORE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn no_vc_session() -> Error {
    Error::new(
        nt_result::NT_NO_SESSION,
        "there is no TLSPC session; begin one with an endpoint and a JWT",
    )
}

fn no_armor_session() -> Error {
    Error::new(
        nt_result::NT_NO_SESSION,
        "there is no Armor session; begin one with an authorization code",
    )
}

/// Fetches a token and, on success, makes `endpoint`, `jwt` and the token the TLSPC session.
pub fn vc_begin(endpoint: &str, jwt: &str, timeout_ms: u32) -> Result<Token, Error> {
    let token = tlspc::fetch_token(endpoint, jwt, timeout_ms)?;
    let mut store = store();
    store.generation += 1;
    store.vc = Some(VcSession {
        endpoint: endpoint.to_owned(),
        jwt: Secret::from(jwt),
        token: Some(token.clone()),
    });
    Ok(token)
}

/// Makes `endpoint` and `jwt` the TLSPC session, without a token and without a request.
pub fn vc_set(endpoint: &str, jwt: &str) -> Result<(), Error> {
    tlspc::check_inputs(endpoint, jwt)?;
    let mut store = store();
    store.generation += 1;
    store.vc = Some(VcSession {
        endpoint: endpoint.to_owned(),
        jwt: Secret::from(jwt),
        token: None,
    });
    Ok(())
}

/// Fetches a new token with the stored endpoint and JWT, and stores it unless the session was
/// replaced meanwhile. The token is returned either way.
pub fn vc_refresh(timeout_ms: u32) -> Result<Token, Error> {
    let (endpoint, jwt, generation) = {
        let store = store();
        let session = store.vc.as_ref().ok_or_else(no_vc_session)?;
        (
            session.endpoint.clone(),
            session.jwt.clone(),
            store.generation,
        )
    };
    let token = tlspc::fetch_token(&endpoint, jwt.expose(), timeout_ms)?;
    let mut store = store();
    if store.generation == generation {
        if let Some(session) = store.vc.as_mut() {
            session.token = Some(token.clone());
        }
    }
    Ok(token)
}

pub fn vc_endpoint() -> Result<Secret, Error> {
    let store = store();
    let session = store.vc.as_ref().ok_or_else(no_vc_session)?;
    Ok(Secret::from(session.endpoint.as_str()))
}

pub fn vc_jwt() -> Result<Secret, Error> {
    Ok(store().vc.as_ref().ok_or_else(no_vc_session)?.jwt.clone())
}

pub fn vc_token() -> Result<Token, Error> {
    let store = store();
    let session = store.vc.as_ref().ok_or_else(no_vc_session)?;
    session.token.clone().ok_or_else(|| {
        Error::new(
            nt_result::NT_NO_SESSION,
            "the TLSPC session has no token yet; refresh it first",
        )
    })
}

pub fn vc_expires_at_unix_ms() -> Result<i64, Error> {
    vc_token().map(|token| token.expires_at_unix_ms())
}

/// Redeems `code` and, on success, makes `base_url` and the token the Armor session.
pub fn armor_begin(
    base_url: &str,
    code: &str,
    grant_type: &str,
    timeout_ms: u32,
) -> Result<Token, Error> {
    let token = armor::fetch_token(base_url, code, grant_type, timeout_ms)?;
    let mut store = store();
    store.generation += 1;
    store.armor = Some(ArmorSession {
        base_url: base_url.to_owned(),
        token: token.clone(),
    });
    Ok(token)
}

/// Reissues the stored Armor token and stores the new one unless the session was replaced
/// meanwhile. The token is returned either way.
pub fn armor_reissue(timeout_ms: u32) -> Result<Token, Error> {
    let (base_url, access_token, generation) = {
        let store = store();
        let session = store.armor.as_ref().ok_or_else(no_armor_session)?;
        let access_token = Secret::from(session.token.access_token());
        (session.base_url.clone(), access_token, store.generation)
    };
    let token = armor::reissue_token(&base_url, access_token.expose(), timeout_ms)?;
    let mut store = store();
    if store.generation == generation {
        if let Some(session) = store.armor.as_mut() {
            session.token = token.clone();
        }
    }
    Ok(token)
}

pub fn armor_token() -> Result<Token, Error> {
    Ok(store()
        .armor
        .as_ref()
        .ok_or_else(no_armor_session)?
        .token
        .clone())
}

/// Forgets both sessions; their secrets are wiped as they drop.
pub fn clear() {
    let mut store = store();
    store.generation += 1;
    store.vc = None;
    store.armor = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store is process-wide; tests that empty it must not run beside ones that fill it.
    /// These are the only unit tests that touch it.
    #[test]
    fn set_read_and_clear() {
        let jwt = format!(
            "{}.{}.sig",
            base64::encode_config("{}", base64::URL_SAFE_NO_PAD),
            base64::encode_config("{}", base64::URL_SAFE_NO_PAD)
        );
        assert_eq!(
            vc_set("https://h/token", "bad").unwrap_err().kind(),
            nt_result::NT_MALFORMED_JWT
        );
        vc_set("https://h/token", &jwt).unwrap();
        assert_eq!(vc_endpoint().unwrap().expose(), "https://h/token");
        assert_eq!(vc_jwt().unwrap().expose(), jwt);
        assert_eq!(vc_token().unwrap_err().kind(), nt_result::NT_NO_SESSION);
        assert_eq!(
            vc_expires_at_unix_ms().unwrap_err().kind(),
            nt_result::NT_NO_SESSION
        );
        clear();
        assert_eq!(vc_endpoint().unwrap_err().kind(), nt_result::NT_NO_SESSION);
        assert_eq!(vc_refresh(1).unwrap_err().kind(), nt_result::NT_NO_SESSION);
        assert_eq!(armor_token().unwrap_err().kind(), nt_result::NT_NO_SESSION);
        assert_eq!(
            armor_reissue(1).unwrap_err().kind(),
            nt_result::NT_NO_SESSION
        );
    }
}
