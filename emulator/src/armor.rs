//! Armor: log-in for a temporary code, code for a session token, and session reissue.

use std::collections::HashSet;
use std::sync::Mutex;

use hyper::{Body, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::random;
use crate::reply::{self, Rejection};
use crate::request::{self, Problem};

pub const AUTHORIZE_ROUTE: &str = "/auth/authorize";
pub const TOKEN_ROUTE: &str = "/auth/token";
pub const REISSUE_ROUTE: &str = "/auth/token/reissue";

const CODE_BYTES: usize = 32;
/// 450 bytes make 600 base64 characters, the size of the real id token.
const ID_TOKEN_BYTES: usize = 450;
/// Armor sends the session length in minutes.
const EXPIRES_IN_MINUTES: u64 = 15;
const REFUSED_PASSWORD: &str = "wrong";

/// The access tokens this emulator issued and has not revoked, for reissue.
#[derive(Default)]
pub struct Armor {
    issued: Mutex<HashSet<String>>,
}

/// A token response with new random values, not remembered (for fault bodies).
pub fn token_body() -> Value {
    json!({
        "access_token": random::hex(16),
        "id_token": random::base64(ID_TOKEN_BYTES),
        "expires_in": EXPIRES_IN_MINUTES,
        "token_type": "Bearer",
    })
}

impl Armor {
    pub async fn authorize(&self, request: Request<Body>) -> Response<Body> {
        respond(authorize(request).await)
    }

    pub async fn token(&self, request: Request<Body>) -> Response<Body> {
        respond(self.redeem_code(request).await)
    }

    pub async fn reissue(&self, request: Request<Body>) -> Response<Body> {
        respond(self.reissue_token(request).await)
    }

    async fn redeem_code(&self, request: Request<Body>) -> Result<Value, Rejection> {
        let body = request::read_json_object(request).await.map_err(message)?;
        if request::string_field(&body, "grant_type") != "authorization_code" {
            return Err(Rejection::OAuth(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code".into(),
            ));
        }
        if !is_well_formed_code(request::string_field(&body, "code")) {
            return Err(Rejection::Message(
                StatusCode::BAD_REQUEST,
                "Invalid authorization code".into(),
            ));
        }
        Ok(self.issue())
    }

    async fn reissue_token(&self, request: Request<Body>) -> Result<Value, Rejection> {
        let body = request::read_json_object(request).await.map_err(message)?;
        let revoked = self.issued().remove(request::string_field(&body, "token"));
        if !revoked {
            return Err(Rejection::Message(
                StatusCode::FORBIDDEN,
                "Invalid token".into(),
            ));
        }
        Ok(self.issue())
    }

    fn issue(&self) -> Value {
        let body = token_body();
        if let Some(token) = body["access_token"].as_str() {
            self.issued().insert(token.to_owned());
        }
        body
    }

    fn issued(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic elsewhere cannot leave the set half-updated, so a poisoned lock is still usable.
        self.issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn authorize(request: Request<Body>) -> Result<Value, Rejection> {
    let body = request::read_json_object(request).await.map_err(message)?;
    let (username, password) = (
        request::string_field(&body, "username"),
        request::string_field(&body, "password"),
    );
    if username.is_empty() || password.is_empty() {
        return Err(Rejection::Message(
            StatusCode::BAD_REQUEST,
            "Username and password are required".into(),
        ));
    }
    if password == REFUSED_PASSWORD {
        return Err(Rejection::Message(
            StatusCode::FORBIDDEN,
            "Invalid credentials".into(),
        ));
    }
    Ok(json!({ "code": random::base64(CODE_BYTES), "success": true, "redirect_uri": null }))
}

/// Any code this emulator could have issued: canonical standard base64 of 32 bytes. A code
/// whose `+` became a space in transit fails here, as it would at Armor.
fn is_well_formed_code(code: &str) -> bool {
    base64::decode(code)
        .is_ok_and(|bytes| bytes.len() == CODE_BYTES && base64::encode(&bytes) == code)
}

fn respond(result: Result<Value, Rejection>) -> Response<Body> {
    match result {
        Ok(body) => reply::json(StatusCode::OK, &body),
        Err(rejection) => rejection.into_response(),
    }
}

fn message(problem: Problem) -> Rejection {
    Rejection::Message(problem.status, problem.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_must_be_canonical_base64_of_32_bytes() {
        assert!(is_well_formed_code(
            "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo="
        ));
        assert!(!is_well_formed_code(
            " 8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr iTo="
        ));
        assert!(!is_well_formed_code(
            "-8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr_iTo="
        ));
        assert!(!is_well_formed_code(
            "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo"
        ));
        assert!(!is_well_formed_code(&base64::encode([0u8; 31])));
        assert!(!is_well_formed_code(""));
    }

    #[test]
    fn token_body_has_the_documented_shape() {
        let body = token_body();
        let access_token = body["access_token"].as_str().unwrap();
        assert_eq!(access_token.len(), 32);
        assert!(access_token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(body["id_token"].as_str().unwrap().len(), 600);
        assert_eq!(body["expires_in"], 15);
    }
}
