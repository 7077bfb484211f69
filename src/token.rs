//! A token answer, checked and kept as the caller will read it. Handed to C callers as the
//! opaque `nt_token`.

use crate::error::Error;
use crate::http::Answer;
use crate::secret::Secret;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A token returned by a service (opaque), with what was sent to get it. Read with the
/// `nt_token_*` functions, freed once with `nt_token_free`, which wipes its secrets.
#[derive(Clone, Debug)]
pub struct Token {
    access_token: Secret,
    token_type: String,
    scope: String,
    id_token: Secret,
    /// The URL the token was requested from.
    endpoint: String,
    /// The JWT used (TLSPC); empty for Armor.
    jwt: Secret,
    /// The answer's body as received.
    response_json: Secret,
    trace: String,
    /// As sent by the service, in `unit`.
    expires_in: i64,
    expires_at_unix_ms: i64,
}

/// The unit of a service's `expires_in`.
#[derive(Clone, Copy, Debug)]
pub enum ExpiresInUnit {
    Seconds,
    Minutes,
}

impl ExpiresInUnit {
    fn millis(self) -> i64 {
        match self {
            ExpiresInUnit::Seconds => 1_000,
            ExpiresInUnit::Minutes => 60_000,
        }
    }
}

/// What was sent to get an answer, kept on the token.
pub struct Request {
    pub endpoint: String,
    pub jwt: Secret,
}

impl Token {
    /// Checks what both services promise (HTTP 200; a JSON object with a non-empty
    /// `access_token` and a positive whole `expires_in`) and keeps the answer. Errors carry the
    /// answer's trace and never the body.
    pub fn from_answer(
        mut answer: Answer,
        unit: ExpiresInUnit,
        request: Request,
    ) -> Result<Token, Error> {
        let trace = std::mem::take(&mut answer.trace);
        Token::checked(answer, unit, request, &trace).map_err(|error| error.with_trace(trace))
    }

    fn checked(
        mut answer: Answer,
        unit: ExpiresInUnit,
        request: Request,
        trace: &str,
    ) -> Result<Token, Error> {
        if answer.status != reqwest::StatusCode::OK {
            return Err(Error::invalid_response(format!(
                "expected HTTP 200 from {}, got HTTP {}",
                request.endpoint,
                answer.status.as_u16()
            )));
        }
        let Fields {
            access_token,
            token_type,
            scope,
            id_token,
            expires_in,
        } = Fields::parse(&answer.body)?;
        let expires_at_unix_ms = expires_in
            .checked_mul(unit.millis())
            .and_then(|lifetime_ms| lifetime_ms.checked_add(answer.received_at_unix_ms))
            .ok_or_else(|| Error::invalid_response("the answer's expires_in is too large"))?;
        Ok(Token {
            access_token,
            token_type,
            scope,
            id_token,
            endpoint: request.endpoint,
            jwt: request.jwt,
            // Valid JSON is valid UTF-8; the buffer moves into the secret without a copy.
            response_json: Secret::from(
                String::from_utf8(std::mem::take(&mut *answer.body)).unwrap_or_default(),
            ),
            trace: trace.to_owned(),
            expires_in,
            expires_at_unix_ms,
        })
    }

    pub fn access_token(&self) -> &str {
        self.access_token.expose()
    }

    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    pub fn scope(&self) -> &str {
        &self.scope
    }

    pub fn id_token(&self) -> &str {
        self.id_token.expose()
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn jwt(&self) -> &str {
        self.jwt.expose()
    }

    pub fn response_json(&self) -> &str {
        self.response_json.expose()
    }

    pub fn trace(&self) -> &str {
        &self.trace
    }

    pub fn expires_in(&self) -> i64 {
        self.expires_in
    }

    pub fn expires_at_unix_ms(&self) -> i64 {
        self.expires_at_unix_ms
    }
}

/// The fields of a token answer, checked.
struct Fields {
    access_token: Secret,
    token_type: String,
    scope: String,
    id_token: Secret,
    expires_in: i64,
}

/// A well-formed answer, read straight into its fields. Any other answer is read again as a
/// JSON object, field by field, for a message that says what is wrong with it.
#[derive(Deserialize)]
struct WellFormed {
    access_token: Secret,
    expires_in: i64,
    token_type: Option<String>,
    scope: Option<String>,
    id_token: Option<Secret>,
}

impl Fields {
    fn parse(body: &[u8]) -> Result<Fields, Error> {
        match serde_json::from_slice::<WellFormed>(body) {
            Ok(answer) if !answer.access_token.expose().is_empty() && answer.expires_in > 0 => {
                Ok(Fields {
                    access_token: answer.access_token,
                    token_type: answer.token_type.unwrap_or_default(),
                    scope: answer.scope.unwrap_or_default(),
                    id_token: answer.id_token.unwrap_or_default(),
                    expires_in: answer.expires_in,
                })
            }
            _ => Fields::parse_checked(body),
        }
    }

    /// Field by field, with a message for the first thing wrong.
    fn parse_checked(body: &[u8]) -> Result<Fields, Error> {
        let mut fields: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|_| Error::invalid_response("the answer is not a JSON object"))?;
        let access_token = match fields.remove("access_token") {
            Some(Value::String(text)) if !text.is_empty() => Secret::from(text),
            Some(Value::String(_)) => {
                return Err(Error::invalid_response(
                    "the answer's access_token is empty",
                ))
            }
            None | Some(Value::Null) => {
                return Err(Error::invalid_response("the answer has no access_token"))
            }
            Some(_) => {
                return Err(Error::invalid_response(
                    "the answer's access_token is not a string",
                ))
            }
        };
        let expires_in = match fields.get("expires_in") {
            None | Some(Value::Null) => {
                return Err(Error::invalid_response("the answer has no expires_in"))
            }
            Some(value) => value
                .as_i64()
                .filter(|lifetime| *lifetime > 0)
                .ok_or_else(|| {
                    Error::invalid_response(
                        "the answer's expires_in is not a positive whole number",
                    )
                })?,
        };
        Ok(Fields {
            access_token,
            token_type: optional_text(&mut fields, "token_type")?,
            scope: optional_text(&mut fields, "scope")?,
            id_token: Secret::from(optional_text(&mut fields, "id_token")?),
            expires_in,
        })
    }
}

/// An optional string field: absent or null is "", anything but a string is refused.
fn optional_text(fields: &mut Map<String, Value>, name: &str) -> Result<String, Error> {
    match fields.remove(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(Error::invalid_response(format!(
            "the answer's {name} is not a string"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::nt_result;
    use zeroize::Zeroizing;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            body: Zeroizing::new(body.as_bytes().to_vec()),
            received_at_unix_ms: 1_000_000,
            trace: "attempt 1".to_owned(),
        }
    }

    fn token(status: u16, body: &str, unit: ExpiresInUnit) -> Result<Token, Error> {
        let request = Request {
            endpoint: "https://host/token".to_owned(),
            jwt: Secret::from("a.b.c"),
        };
        Token::from_answer(answer(status, body), unit, request)
    }

    #[test]
    fn keeps_a_good_answer() {
        let body =
            r#"{"access_token":"abc","token_type":"Bearer","expires_in":3600,"scope":"x y"}"#;
        let token = token(200, body, ExpiresInUnit::Seconds).unwrap();
        assert_eq!(
            (
                token.access_token(),
                token.token_type(),
                token.scope(),
                token.id_token()
            ),
            ("abc", "Bearer", "x y", "")
        );
        assert_eq!(
            (token.expires_in(), token.expires_at_unix_ms()),
            (3600, 1_000_000 + 3_600_000)
        );
        assert_eq!(
            (token.endpoint(), token.jwt(), token.response_json()),
            ("https://host/token", "a.b.c", body)
        );
        assert_eq!(token.trace(), "attempt 1");
        let minutes = self::token(
            200,
            r#"{"access_token":"abc","expires_in":15}"#,
            ExpiresInUnit::Minutes,
        )
        .unwrap();
        assert_eq!(minutes.expires_at_unix_ms(), 1_000_000 + 15 * 60_000);
    }

    #[test]
    fn refuses_broken_answers_with_the_trace() {
        for (status, body) in [
            (201, r#"{"access_token":"abc","expires_in":1}"#),
            (200, "not json"),
            (200, "[1]"),
            (200, r#"{"expires_in":1}"#),
            (200, r#"{"access_token":"","expires_in":1}"#),
            (200, r#"{"access_token":7,"expires_in":1}"#),
            (200, r#"{"access_token":"abc"}"#),
            (200, r#"{"access_token":"abc","expires_in":0}"#),
            (200, r#"{"access_token":"abc","expires_in":"3600"}"#),
            (200, r#"{"access_token":"abc","expires_in":1.5}"#),
            (
                200,
                r#"{"access_token":"abc","expires_in":9223372036854775807}"#,
            ),
            (200, r#"{"access_token":"abc","expires_in":1,"scope":[]}"#),
        ] {
            let error = token(status, body, ExpiresInUnit::Seconds).unwrap_err();
            assert_eq!(error.kind(), nt_result::NT_INVALID_RESPONSE, "{body}");
            assert_eq!(error.trace(), "attempt 1");
            assert!(!error.message().contains("abc"));
        }
    }
}
