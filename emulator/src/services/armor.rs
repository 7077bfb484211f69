//! Armor: log-in for a temporary code, code for a session token, session reissue, and the two
//! API calls ArmorPowerShell makes with a session (`GET /me`, `GET /accounts`).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use hyper::{Body, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::services::issued::{self, Issued};
use crate::services::random;
use crate::services::reply::{self, Rejection};
use crate::services::request::{self, Problem};

pub const AUTHORIZE_ROUTE: &str = "/auth/authorize";
pub const TOKEN_ROUTE: &str = "/auth/token";
pub const REISSUE_ROUTE: &str = "/auth/token/reissue";
pub const ME_ROUTE: &str = "/me";
pub const ACCOUNTS_ROUTE: &str = "/accounts";

const CODE_BYTES: usize = 32;
/// 450 bytes make 600 base64 characters, the size of the real id token.
const ID_TOKEN_BYTES: usize = 450;
/// Armor sends the session length in minutes.
const EXPIRES_IN_MINUTES: u64 = 15;
const REFUSED_PASSWORD: &str = "wrong";
/// The user of a code this emulator did not hand out at a log-in (any well-formed code is taken).
const DEFAULT_USER: &str = "user@example.com";
/// The one account every session belongs to (ArmorPowerShell accepts IDs 1-65535).
const ACCOUNT_ID: u64 = 1;
const ACCOUNT_CONTEXT: &str = "x-account-context";
/// Codes handed out and not redeemed that are remembered, for the user's name.
const CODES_REMEMBERED: usize = 1024;

/// The access tokens this emulator issued and has not replaced by a reissue (with their user),
/// and the codes of log-ins not yet redeemed (with their user).
#[derive(Default)]
pub struct Armor {
    issued: Issued,
    codes: Mutex<HashMap<String, String>>,
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
        respond(self.log_in(request).await)
    }

    /// `GET /me`: the session's user, accounts, departments, permissions and features, in the
    /// shapes ArmorPowerShell's `Get-ArmorIdentity` casts them to.
    pub fn me(&self, request: &Request<Body>) -> Response<Body> {
        respond(self.authenticated(request).map(|user| me_body(&user)))
    }

    /// `GET /accounts`: the accounts the session may use.
    pub fn accounts(&self, request: &Request<Body>) -> Response<Body> {
        respond(self.authenticated(request).map(|_| json!([account()])))
    }

    /// The user of a request's `Authorization: FH-AUTH <token>` when the token is one this
    /// emulator issued (and did not replace), and its `X-Account-Context`, when sent, is an
    /// account of the session.
    fn authenticated(&self, request: &Request<Body>) -> Result<String, Rejection> {
        let user = issued::credentials(request.headers(), "FH-AUTH")
            .and_then(|token| self.issued.holder(token))
            .ok_or_else(|| {
                Rejection::Message(
                    StatusCode::UNAUTHORIZED,
                    "Authorization has been denied for this request.".into(),
                )
            })?;
        if let Some(context) = request.headers().get(ACCOUNT_CONTEXT) {
            let known = context
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                == Some(ACCOUNT_ID);
            if !known {
                return Err(Rejection::Message(
                    StatusCode::FORBIDDEN,
                    "The X-Account-Context is not an account of this session.".into(),
                ));
            }
        }
        Ok(user)
    }

    async fn log_in(&self, request: Request<Body>) -> Result<Value, Rejection> {
        let body = request::read_json_object(request).await.map_err(message)?;
        // The service takes the keys in any case: ArmorPowerShell sends Username and Password.
        let (username, password) = (
            field_in_any_case(&body, "username"),
            field_in_any_case(&body, "password"),
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
        let code = random::base64(CODE_BYTES);
        let mut codes = self.codes();
        if codes.len() >= CODES_REMEMBERED {
            codes.clear();
        }
        codes.insert(code.clone(), username.to_owned());
        Ok(json!({ "code": code, "success": true, "redirect_uri": null }))
    }

    pub async fn token(&self, request: Request<Body>) -> Response<Body> {
        respond_token(self.redeem_code(request).await)
    }

    pub async fn reissue(&self, request: Request<Body>) -> Response<Body> {
        respond_token(self.reissue_token(request).await)
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
        let code = request::string_field(&body, "code");
        if !is_well_formed_code(code) {
            return Err(Rejection::Message(
                StatusCode::BAD_REQUEST,
                "Invalid authorization code".into(),
            ));
        }
        let user = self
            .codes()
            .remove(code)
            .unwrap_or_else(|| DEFAULT_USER.to_owned());
        Ok(self.issue(&user))
    }

    async fn reissue_token(&self, request: Request<Body>) -> Result<Value, Rejection> {
        let body = request::read_json_object(request).await.map_err(message)?;
        match self.issued.remove(request::string_field(&body, "token")) {
            Some(user) => Ok(self.issue(&user)),
            None => Err(Rejection::Message(
                StatusCode::FORBIDDEN,
                "Invalid token".into(),
            )),
        }
    }

    fn issue(&self, user: &str) -> Value {
        let body = token_body();
        if let Some(token) = body["access_token"].as_str() {
            self.issued.insert(token, user);
        }
        body
    }

    fn codes(&self) -> MutexGuard<'_, HashMap<String, String>> {
        // A panic elsewhere cannot leave the map half-updated, so a poisoned lock is still usable.
        self.codes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A string field whose name matches `name` in any case; "" when none is a string.
fn field_in_any_case<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> &'a str {
    object
        .iter()
        .find(|(key, value)| key.eq_ignore_ascii_case(name) && value.is_string())
        .and_then(|(_, value)| value.as_str())
        .unwrap_or("")
}

fn account() -> Value {
    json!({
        "ID": ACCOUNT_ID,
        "Name": "Emulated account",
        "Currency": "USD",
        "Status": "Claimed",
        "Parent": -1,
        "Products": [],
    })
}

/// A user name ArmorPowerShell accepts (an e-mail address); a log-in name that is not one is
/// given a domain.
fn user_name(user: &str) -> String {
    let lower = user.to_ascii_lowercase();
    if lower.contains('@') {
        lower
    } else {
        format!("{lower}@example.com")
    }
}

fn me_body(user: &str) -> Value {
    json!({
        "User": [{
            "Type": "User",
            "UserName": user_name(user),
            "FirstName": "Emulated",
            "LastName": "User",
            "Links": [],
        }],
        "Accounts": [account()],
        "Departments": [{ "ID": 1, "Name": "Default", "Account": ACCOUNT_ID }],
        "Permissions": [],
        "Features": [{ "AccountID": ACCOUNT_ID, "Feature": "Api", "ProductID": 1, "FeatureID": 1 }],
    })
}

/// Any code this emulator could have issued: canonical standard base64 of 32 bytes. A code
/// whose `+` became a space in transit fails here, as it would at Armor.
fn is_well_formed_code(code: &str) -> bool {
    match base64::decode(code) {
        Ok(bytes) => bytes.len() == CODE_BYTES && base64::encode(&bytes) == code,
        Err(_) => false,
    }
}

fn respond(result: Result<Value, Rejection>) -> Response<Body> {
    match result {
        Ok(body) => reply::json(StatusCode::OK, &body),
        Err(rejection) => rejection.into_response(),
    }
}

/// A token answer with its keys in Armor's order (access_token, id_token, expires_in,
/// token_type), which ArmorPowerShell's callers see through ConvertFrom-Json.
fn respond_token(result: Result<Value, Rejection>) -> Response<Body> {
    match result {
        Ok(body) => reply::json_in_order(StatusCode::OK, &body, &TOKEN_FIELD_ORDER),
        Err(rejection) => rejection.into_response(),
    }
}

const TOKEN_FIELD_ORDER: [&str; 4] = ["access_token", "id_token", "expires_in", "token_type"];

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
