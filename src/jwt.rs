//! The shape checks made on a JWT before it is sent: three base64url parts, header and payload
//! JSON objects, and an optional numeric `exp` that must not be in the past. The signature is
//! the service's business; a JWT refused here would be refused there too, only later.

use crate::clock;
use crate::error::{nt_result, Error};

/// A JWT's expiry, from its payload's `exp`, in seconds since the Unix epoch.
pub type ExpiryUnixSeconds = Option<i64>;

/// Checks the JWT's shape and returns its expiry. Messages never contain the JWT.
pub fn parse_expiry(jwt: &str) -> Result<ExpiryUnixSeconds, Error> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let (header, payload, signature) = match parts[..] {
        [header, payload, signature] => (header, payload, signature),
        _ => {
            return Err(malformed(format!(
                "it has {} dot-separated parts, expected 3 (header.payload.signature)",
                parts.len()
            )))
        }
    };
    decode_json_object("header", header)?;
    let claims = decode_json_object("payload", payload)?;
    if signature.is_empty() || !signature.bytes().all(is_base64url_byte) {
        return Err(malformed("the signature is not base64url"));
    }
    match claims.get("exp") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(exp) => match (exp.as_i64(), exp.as_f64()) {
            (Some(seconds), _) => Ok(Some(seconds)),
            // NumericDate may have a fraction; the whole second is what matters. `as`
            // saturates, so absurd values become the far past or future, never a panic.
            (None, Some(seconds)) => Ok(Some(seconds.floor() as i64)),
            (None, None) => Err(malformed("its exp claim is not a number")),
        },
    }
}

/// `NT_EXPIRED_JWT` when `expiry` is at or before `now_unix_ms`, naming the expiry in UTC.
pub fn ensure_unexpired(expiry: ExpiryUnixSeconds, now_unix_ms: i64) -> Result<(), Error> {
    match expiry {
        Some(exp) if exp.saturating_mul(1000) <= now_unix_ms => Err(Error::new(
            nt_result::NT_EXPIRED_JWT,
            format!(
                "the JWT expired at {} (now {}); create a new JWT for the service account",
                clock::format_utc_iso8601(exp),
                clock::format_utc_iso8601(now_unix_ms.div_euclid(1000))
            ),
        )),
        _ => Ok(()),
    }
}

fn malformed(reason: impl AsRef<str>) -> Error {
    Error::new(
        nt_result::NT_MALFORMED_JWT,
        format!("the JWT is malformed: {}", reason.as_ref()),
    )
}

fn is_base64url_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Decodes one base64url part (padding tolerated) that must hold a JSON object.
fn decode_json_object(
    name: &str,
    part: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let unpadded = part.trim_end_matches('=');
    if unpadded.is_empty() || !unpadded.bytes().all(is_base64url_byte) {
        return Err(malformed(format!("the {name} is not base64url")));
    }
    let bytes = base64::decode_config(unpadded, base64::URL_SAFE_NO_PAD)
        .map_err(|_| malformed(format!("the {name} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(object)) => Ok(object),
        _ => Err(malformed(format!("the {name} is not a JSON object"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(json: &str) -> String {
        base64::encode_config(json, base64::URL_SAFE_NO_PAD)
    }

    fn jwt_with_payload(payload: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            encode(payload)
        )
    }

    #[test]
    fn reads_integer_and_fractional_exp() {
        assert_eq!(
            parse_expiry(&jwt_with_payload(r#"{"exp":1795442700}"#)),
            Ok(Some(1_795_442_700))
        );
        assert_eq!(
            parse_expiry(&jwt_with_payload(r#"{"exp":1795442700.9}"#)),
            Ok(Some(1_795_442_700))
        );
        assert_eq!(parse_expiry(&jwt_with_payload(r#"{"sub":"x"}"#)), Ok(None));
    }

    #[test]
    fn refuses_wrong_shapes() {
        let header = encode(r#"{"alg":"none"}"#);
        for jwt in [
            String::new(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            format!("{header}.{}.sig", encode("[1,2]")),
            format!("{header}.{}.sig", encode("not json")),
            format!("{header}.@@@.sig"),
            format!("{header}.{}.", encode("{}")),
            format!("{header}.{}.si+g", encode("{}")),
            jwt_with_payload(r#"{"exp":"tomorrow"}"#),
        ] {
            let error = parse_expiry(&jwt).unwrap_err();
            assert_eq!(error.kind(), nt_result::NT_MALFORMED_JWT, "{jwt}");
        }
    }

    #[test]
    fn expired_message_gives_utc_expiry() {
        let error = ensure_unexpired(Some(1_795_442_700), 1_795_442_700_000).unwrap_err();
        assert_eq!(error.kind(), nt_result::NT_EXPIRED_JWT);
        assert!(
            error.message().contains("2026-11-23T14:05:00Z"),
            "{}",
            error.message()
        );
        assert_eq!(
            ensure_unexpired(Some(1_795_442_700), 1_795_442_699_999),
            Ok(())
        );
        assert_eq!(ensure_unexpired(None, i64::MAX), Ok(()));
        assert!(ensure_unexpired(Some(i64::MIN), i64::MIN).is_err());
    }

    proptest! {
        #[test]
        fn any_text_gives_expiry_or_malformed(text in ".{0,200}") {
            if let Err(error) = parse_expiry(&text) {
                prop_assert_eq!(error.kind(), nt_result::NT_MALFORMED_JWT);
            }
        }

        #[test]
        fn dotted_base64_gives_expiry_or_malformed(parts in prop::collection::vec("[A-Za-z0-9_=-]{0,40}", 0..5)) {
            if let Err(error) = parse_expiry(&parts.join(".")) {
                prop_assert_eq!(error.kind(), nt_result::NT_MALFORMED_JWT);
            }
        }

        #[test]
        fn any_exp_number_is_read(exp in any::<i64>()) {
            prop_assert_eq!(parse_expiry(&jwt_with_payload(&format!(r#"{{"exp":{exp}}}"#))), Ok(Some(exp)));
        }
    }
}
