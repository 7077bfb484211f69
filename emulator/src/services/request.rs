//! Reading request bodies: size limit, media type, form and JSON decoding.

use std::collections::HashMap;

use hyper::body::HttpBody;
use hyper::header::CONTENT_TYPE;
use hyper::{Body, HeaderMap, Request, StatusCode};
use serde_json::{Map, Value};

/// Generous next to the client library's 64 KiB input limit, small enough to refuse floods.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// A request the services refuse before looking at its content; each service words it its own way.
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub status: StatusCode,
    pub message: String,
}

impl Problem {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Problem {
            status,
            message: message.into(),
        }
    }
}

/// Checks the Content-Type's media type (parameters such as charset are ignored).
pub fn require_media_type(headers: &HeaderMap, expected: &str) -> Result<(), Problem> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    match media_type {
        Some(found) if found.eq_ignore_ascii_case(expected) => Ok(()),
        _ => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be {expected}"),
        )),
    }
}

pub async fn read_body(mut body: Body) -> Result<Vec<u8>, Problem> {
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk
            .map_err(|_| Problem::new(StatusCode::BAD_REQUEST, "request body could not be read"))?;
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads a JSON object body sent as application/json.
pub async fn read_json_object(request: Request<Body>) -> Result<Map<String, Value>, Problem> {
    require_media_type(request.headers(), "application/json")?;
    let body = read_body(request.into_body()).await?;
    match serde_json::from_slice(&body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "request body must be a JSON object",
        )),
    }
}

/// A string field of a JSON object; "" when it is missing or not a string.
pub fn string_field<'a>(object: &'a Map<String, Value>, name: &str) -> &'a str {
    object.get(name).and_then(Value::as_str).unwrap_or("")
}

/// Decodes application/x-www-form-urlencoded text (also used for query strings). A field sent
/// twice is an error, as OAuth 2.0 requires.
pub fn parse_form(encoded: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut fields = HashMap::new();
    for pair in encoded
        .split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
    {
        let (name, value) = match pair.iter().position(|&byte| byte == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = form_decode(name)?;
        let value = form_decode(value)?;
        if fields.contains_key(&name) {
            return Err(format!("field {name:?} is given more than once"));
        }
        fields.insert(name, value);
    }
    Ok(fields)
}

/// `+` is a space and `%XX` a byte; a `%` without two hex digits stays as it is (as browsers do).
fn form_decode(encoded: &[u8]) -> Result<String, String> {
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => match tail.get(..2).and_then(hex_byte) {
                Some(value) => {
                    decoded.push(value);
                    rest = &tail[2..];
                }
                None => decoded.push(b'%'),
            },
            _ => decoded.push(byte),
        }
    }
    String::from_utf8(decoded).map_err(|_| "form field is not valid UTF-8".to_owned())
}

fn hex_byte(digits: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(digits).ok()?;
    u8::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_handles_percent_plus_and_stray_percent() {
        let form = parse_form(b"a=x%2By+z&b=%7e%zz%4&c&&d=%E2%82%AC").unwrap();
        assert_eq!(form["a"], "x+y z");
        assert_eq!(form["b"], "~%zz%4");
        assert_eq!(form["c"], "");
        assert_eq!(form["d"], "€");
    }

    #[test]
    fn form_decoding_rejects_duplicates_and_bad_utf8() {
        assert!(parse_form(b"a=1&a=2").is_err());
        assert!(parse_form(b"a=%FF").is_err());
    }

    #[test]
    fn media_type_ignores_parameters_and_case() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert!(require_media_type(&headers, "application/json").is_ok());
        assert_eq!(
            require_media_type(&headers, "application/x-www-form-urlencoded")
                .unwrap_err()
                .status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }
}
