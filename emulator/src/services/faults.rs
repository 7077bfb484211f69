//! Faults that make the emulator misbehave on purpose, to test clients' error handling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_LENGTH, RETRY_AFTER};
use hyper::{Body, Response, StatusCode};
use serde_json::Value;

use crate::services::reply::{self, JSON};

const MODES: &str =
    "delay=MS, hang, status=CODE, 429=SECONDS, 503=SECONDS, oauth-error, html, plain, \
                     empty, invalid-json, missing-token, wrong-type, bad-expiry, huge, drop, reset";
const HUGE_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Time for hyper to flush the partial body of a `reset` before the connection is aborted.
const RESET_FLUSH_PAUSE: Duration = Duration::from_millis(50);
const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n\
                         <body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>\n";

/// A parsed `MODE[*COUNT]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// The spec as written; with the path, it keys the `*COUNT` counter.
    pub text: String,
    pub mode: FaultMode,
    /// Applies to this many requests per path; None: to all.
    pub count: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultMode {
    Delay(Duration),
    Hang,
    Status(StatusCode),
    RetryAfter(StatusCode, u64),
    OAuthError,
    Html,
    Plain,
    Empty,
    InvalidJson,
    MissingToken,
    WrongType,
    BadExpiry,
    Huge,
    Drop,
    Reset,
}

/// What the server does for a fault.
pub enum FaultEffect {
    /// Wait, then serve normally.
    Delay(Duration),
    /// Never answer, keep the connection open.
    Hang,
    /// Close the connection without an answer.
    Drop,
    Respond(Response<Body>),
}

/// Parses `MODE[*COUNT]`; the error names what is wrong with the spec.
pub fn parse(text: &str) -> Result<FaultSpec, String> {
    let (mode, count) = match text.split_once('*') {
        Some((mode, count)) => (
            mode,
            Some(parse_count(count).map_err(|e| spec_error(text, &e))?),
        ),
        None => (text, None),
    };
    let mode = parse_mode(mode).map_err(|e| spec_error(text, &e))?;
    Ok(FaultSpec {
        text: text.to_owned(),
        mode,
        count,
    })
}

fn spec_error(text: &str, problem: &str) -> String {
    format!("invalid fault spec {text:?}: {problem}")
}

fn parse_count(text: &str) -> Result<u64, String> {
    match text.parse() {
        Ok(count) if count > 0 => Ok(count),
        _ => Err(format!(
            "COUNT must be a positive whole number, not {text:?}"
        )),
    }
}

fn parse_mode(text: &str) -> Result<FaultMode, String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text, None),
    };
    let mode = match (name, value) {
        ("delay", Some(ms)) => {
            FaultMode::Delay(Duration::from_millis(number(ms, "delay milliseconds")?))
        }
        ("status", Some(code)) => FaultMode::Status(status_code(code)?),
        ("429", Some(seconds)) => FaultMode::RetryAfter(
            StatusCode::TOO_MANY_REQUESTS,
            number(seconds, "429 seconds")?,
        ),
        ("503", Some(seconds)) => FaultMode::RetryAfter(
            StatusCode::SERVICE_UNAVAILABLE,
            number(seconds, "503 seconds")?,
        ),
        ("delay" | "status" | "429" | "503", None) => {
            return Err(format!("mode {name:?} needs a value ({name}=N)"))
        }
        (_, None) => valueless_mode(name)
            .ok_or_else(|| format!("unknown mode {name:?}; modes are {MODES}"))?,
        (_, Some(_)) if valueless_mode(name).is_some() => {
            return Err(format!("mode {name:?} takes no value"))
        }
        (_, Some(_)) => return Err(format!("unknown mode {name:?}; modes are {MODES}")),
    };
    Ok(mode)
}

fn valueless_mode(name: &str) -> Option<FaultMode> {
    Some(match name {
        "hang" => FaultMode::Hang,
        "oauth-error" => FaultMode::OAuthError,
        "html" => FaultMode::Html,
        "plain" => FaultMode::Plain,
        "empty" => FaultMode::Empty,
        "invalid-json" => FaultMode::InvalidJson,
        "missing-token" => FaultMode::MissingToken,
        "wrong-type" => FaultMode::WrongType,
        "bad-expiry" => FaultMode::BadExpiry,
        "huge" => FaultMode::Huge,
        "drop" => FaultMode::Drop,
        "reset" => FaultMode::Reset,
        _ => return None,
    })
}

fn number(text: &str, what: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{what} must be a whole number, not {text:?}"))
}

fn status_code(text: &str) -> Result<StatusCode, String> {
    match text.parse::<u16>() {
        Ok(code @ 200..=599) => StatusCode::from_u16(code).map_err(|e| e.to_string()),
        _ => Err(format!(
            "status must be an HTTP status 200-599, not {text:?}"
        )),
    }
}

/// Counts requests per spec and path, for `*COUNT`.
#[derive(Default)]
pub struct FaultCounters {
    seen: Mutex<HashMap<(String, String), u64>>,
}

impl FaultCounters {
    /// Counts this request and says whether the fault applies to it.
    pub fn applies(&self, spec: &FaultSpec, path: &str) -> bool {
        let limit = match spec.count {
            Some(limit) => limit,
            None => return true,
        };
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = seen
            .entry((spec.text.clone(), path.to_owned()))
            .or_insert(0);
        *count += 1;
        *count <= limit
    }
}

/// The effect of `mode`. Success-shaped faults start from `token_body`, the route's normal answer.
pub fn effect(mode: &FaultMode, token_body: fn() -> Value) -> FaultEffect {
    let response = match mode {
        FaultMode::Delay(duration) => return FaultEffect::Delay(*duration),
        FaultMode::Hang => return FaultEffect::Hang,
        FaultMode::Drop => return FaultEffect::Drop,
        FaultMode::Status(status) => reply::envelope(*status, reason(*status)),
        FaultMode::RetryAfter(status, seconds) => {
            let mut response = reply::envelope(*status, reason(*status));
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(*seconds));
            response
        }
        FaultMode::OAuthError => reply::oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        ),
        FaultMode::Html => reply::with_body(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/html; charset=utf-8",
            HTML_PAGE,
        ),
        FaultMode::Plain => reply::with_body(
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            "Bad request: malformed form body",
        ),
        FaultMode::Empty => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
        FaultMode::InvalidJson => reply::with_body(StatusCode::OK, JSON, "this is not JSON {"),
        FaultMode::MissingToken => token_json(token_body, |body| {
            body.remove("access_token");
        }),
        FaultMode::WrongType => token_json(token_body, |body| {
            body.insert("token_type".into(), "MAC".into());
        }),
        FaultMode::BadExpiry => token_json(token_body, |body| {
            body.insert("expires_in".into(), 0.into());
        }),
        FaultMode::Huge => reply::with_body(StatusCode::OK, JSON, huge_body(token_body())),
        FaultMode::Reset => reset_response(token_body().to_string().into_bytes()),
    };
    FaultEffect::Respond(response)
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Emulated fault")
}

fn token_json(
    token_body: fn() -> Value,
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Response<Body> {
    let mut body = token_body();
    if let Some(object) = body.as_object_mut() {
        change(object);
    }
    reply::json(StatusCode::OK, &body)
}

/// The token body padded with a `padding` field to exactly 2 MiB.
fn huge_body(mut body: Value) -> String {
    body["padding"] = Value::String(String::new());
    let unpadded = body.to_string().len();
    body["padding"] = Value::String("x".repeat(HUGE_BODY_BYTES.saturating_sub(unpadded)));
    body.to_string()
}

/// Status, headers with the full Content-Length, half the body, then an aborted connection.
fn reset_response(full_body: Vec<u8>) -> Response<Body> {
    let (mut sender, body) = Body::channel();
    let mut response = reply::with_body(StatusCode::OK, JSON, body);
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(full_body.len()));
    tokio::spawn(async move {
        let half = Bytes::copy_from_slice(&full_body[..full_body.len() / 2]);
        if sender.send_data(half).await.is_ok() {
            tokio::time::sleep(RESET_FLUSH_PAUSE).await;
            sender.abort();
        }
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modes_with_values_and_counts() {
        let spec = parse("503=2*3").unwrap();
        assert_eq!(
            spec.mode,
            FaultMode::RetryAfter(StatusCode::SERVICE_UNAVAILABLE, 2)
        );
        assert_eq!(spec.count, Some(3));
        assert_eq!(
            parse("delay=150").unwrap().mode,
            FaultMode::Delay(Duration::from_millis(150))
        );
        assert_eq!(
            parse("status=502").unwrap().mode,
            FaultMode::Status(StatusCode::BAD_GATEWAY)
        );
        assert_eq!(
            parse("reset").unwrap(),
            FaultSpec {
                text: "reset".into(),
                mode: FaultMode::Reset,
                count: None
            }
        );
    }

    #[test]
    fn errors_name_the_problem() {
        for (spec, expected) in [
            ("bogus", "unknown mode \"bogus\""),
            ("hang*0", "COUNT must be a positive"),
            ("hang*x", "COUNT must be a positive"),
            ("delay", "needs a value"),
            ("delay=soon", "delay milliseconds"),
            ("status=99", "status must be"),
            ("status=600", "status must be"),
            ("html=1", "takes no value"),
        ] {
            let message = parse(spec).unwrap_err();
            assert!(
                message.contains(expected) && message.contains(spec),
                "{spec}: {message}"
            );
        }
    }

    #[test]
    fn count_is_kept_per_spec_and_path() {
        let counters = FaultCounters::default();
        let spec = parse("empty*2").unwrap();
        let applied: Vec<bool> = (0..3).map(|_| counters.applies(&spec, "/a")).collect();
        assert_eq!(applied, [true, true, false]);
        assert!(counters.applies(&spec, "/b"));
        assert!(counters.applies(&parse("empty*1").unwrap(), "/a"));
    }

    #[test]
    fn huge_body_is_exactly_two_mebibytes_of_json() {
        let body = huge_body(serde_json::json!({"access_token": "t"}));
        assert_eq!(body.len(), HUGE_BODY_BYTES);
        assert!(serde_json::from_str::<Value>(&body).is_ok());
    }
}
