//! Response builders in the shapes the real services use.

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Body, Response, StatusCode};
use serde_json::{json, Value};

pub const JSON: &str = "application/json";

/// Why a request was refused, in the error shape of the service that refuses it.
#[derive(Debug, PartialEq)]
pub enum Rejection {
    /// TLSPC envelope `{"errors":[{"code","message","args"}]}`.
    Envelope(StatusCode, String),
    /// OAuth 2.0 `{"error","error_description"}`.
    OAuth(StatusCode, &'static str, String),
    /// Armor `{"message"}`.
    Message(StatusCode, String),
}

impl Rejection {
    pub fn into_response(self) -> Response<Body> {
        match self {
            Rejection::Envelope(status, message) => envelope(status, &message),
            Rejection::OAuth(status, error, description) => {
                oauth_error(status, error, &description)
            }
            Rejection::Message(status, message) => json(status, &json!({ "message": message })),
        }
    }
}

pub fn json(status: StatusCode, body: &Value) -> Response<Body> {
    with_body(status, JSON, body.to_string())
}

/// A JSON object with its keys in the given order (then any others, sorted): serde_json's map sorts
/// them, but a service sends its own order, and clients that keep it (PowerShell's
/// ConvertFrom-Json) show it.
pub fn json_in_order(status: StatusCode, body: &Value, order: &[&str]) -> Response<Body> {
    let object = match body.as_object() {
        Some(object) => object,
        None => return json(status, body),
    };
    let rest = object.keys().filter(|key| !order.contains(&key.as_str()));
    let mut fields = Vec::with_capacity(object.len());
    for key in order.iter().copied().chain(rest.map(String::as_str)) {
        if let Some(value) = object.get(key) {
            fields.push(format!("{}:{}", Value::from(key), value));
        }
    }
    with_body(status, JSON, format!("{{{}}}", fields.join(",")))
}

/// The TLSPC error envelope. The emulator uses the HTTP status as the error code.
pub fn envelope(status: StatusCode, message: &str) -> Response<Body> {
    let body = json!({ "errors": [{ "code": status.as_u16(), "message": message, "args": [] }] });
    json(status, &body)
}

pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

pub fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
