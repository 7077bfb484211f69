//! TLS Protect Cloud: a service-account access token for a JWT client assertion
//! (OAuth 2.0 client-credentials grant, RFC 7523).

use crate::clock;
use crate::error::Error;
use crate::http::{self, CallOptions, Post};
use crate::jwt::{self, ExpiryUnixSeconds};
use crate::secret::Secret;
use crate::token::{ExpiresInUnit, Request, Token};
use crate::url_check::{self, UrlRole};
use once_cell::sync::Lazy;
use reqwest::Url;
use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};

/// The URL argument of TLSPC calls, as its messages name it.
pub(crate) const ENDPOINT: UrlRole = UrlRole {
    name: "endpoint",
    form: "https://api.venafi.cloud/v1/oauth2/v2.0/<tenant-guid>/token",
};

/// Posts `jwt` to `endpoint` and returns the checked token. Refuses a malformed or expired JWT
/// before anything is sent. No error mentions the JWT, even if the server echoes it.
pub fn fetch_token(endpoint: &str, jwt: &str, options: &CallOptions<'_>) -> Result<Token, Error> {
    request_token(endpoint, jwt, options).map_err(|error| error.redact(&[jwt]))
}

fn request_token(endpoint: &str, jwt: &str, options: &CallOptions<'_>) -> Result<Token, Error> {
    let url = checked_endpoint(endpoint)?;
    jwt::ensure_unexpired(checked_jwt(jwt)?, clock::now_unix_ms())?;
    let body = zeroize::Zeroizing::new(form_body(jwt));
    let post = Post {
        url: &url,
        content_type: "application/x-www-form-urlencoded",
        body: body.as_bytes(),
    };
    let answer = http::post(&post, options)?;
    let request = Request {
        endpoint: endpoint.to_owned(),
        jwt: Secret::from(jwt),
    };
    let token = Token::from_answer(answer, ExpiresInUnit::Seconds, request)?;
    if !token.token_type().eq_ignore_ascii_case("bearer") {
        return Err(
            Error::invalid_response("the answer's token_type is not Bearer")
                .with_trace(token.trace().to_owned()),
        );
    }
    Ok(token)
}

/// The last endpoint and JWT this thread checked. Scripts call with the same ones over and over,
/// and parsing the URL and decoding the JWT are a large part of the library's own work for a
/// call, so each is parsed once per thread while it stays the same. Only a keyed
/// hash of the JWT is kept, not the JWT. The expiry is compared with the clock on every call.
struct LastChecked {
    endpoint: Option<(String, Url)>,
    jwt: Option<(u64, ExpiryUnixSeconds)>,
}

thread_local! {
    static LAST_CHECKED: RefCell<LastChecked> =
        const { RefCell::new(LastChecked { endpoint: None, jwt: None }) };
}

/// Keys of the JWT hash: random per process.
static JWT_HASH_KEYS: Lazy<RandomState> = Lazy::new(RandomState::new);

fn checked_endpoint(endpoint: &str) -> Result<Url, Error> {
    let cached = LAST_CHECKED.with(|last| match &last.borrow().endpoint {
        Some((text, url)) if text == endpoint => Some(url.clone()),
        _ => None,
    });
    if let Some(url) = cached {
        return Ok(url);
    }
    let url = url_check::checked_url(endpoint, &ENDPOINT)?;
    url_check::ensure_sendable(&url, &ENDPOINT)?;
    LAST_CHECKED.with(|last| last.borrow_mut().endpoint = Some((endpoint.to_owned(), url.clone())));
    Ok(url)
}

fn checked_jwt(jwt: &str) -> Result<ExpiryUnixSeconds, Error> {
    let mut hasher = JWT_HASH_KEYS.build_hasher();
    jwt.hash(&mut hasher);
    let hash = hasher.finish();
    let cached = LAST_CHECKED.with(|last| match last.borrow().jwt {
        Some((known, expiry)) if known == hash => Some(expiry),
        _ => None,
    });
    if let Some(expiry) = cached {
        return Ok(expiry);
    }
    let expiry = jwt::parse_expiry(jwt)?;
    LAST_CHECKED.with(|last| last.borrow_mut().jwt = Some((hash, expiry)));
    Ok(expiry)
}

/// The form fields before the JWT, form-urlencoded.
const FORM_PREFIX: &str = "grant_type=client_credentials&client_assertion_type=\
     urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=";

fn form_body(jwt: &str) -> String {
    // A JWT is base64url parts joined by dots, which form encoding leaves as they are: append it
    // as is (encoding it byte by byte was a noticeable part of the library's work per call).
    // Anything else goes through the encoder.
    let mut body = String::with_capacity(FORM_PREFIX.len() + jwt.len());
    body.push_str(FORM_PREFIX);
    if jwt.bytes().all(is_form_safe) {
        body.push_str(jwt);
    } else {
        body.extend(url::form_urlencoded::byte_serialize(jwt.as_bytes()));
    }
    body
}

/// Bytes that application/x-www-form-urlencoded leaves as they are.
fn is_form_safe(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::nt_result;

    #[test]
    fn form_body_is_the_documented_one() {
        assert_eq!(
            form_body("h.p.s"),
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A\
             client-assertion-type%3Ajwt-bearer&client_assertion=h.p.s"
        );
        // The same as the general encoder gives, with and without the fast path.
        for jwt in ["eyJh_b-c.ZXhw.c2ln", "a b+c/d=é~"] {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .append_pair("client_assertion", jwt)
                .finish();
            assert_eq!(form_body(jwt), encoded, "{jwt}");
        }
    }

    #[test]
    fn checks_come_before_any_request() {
        let expired = format!(
            "{}.{}.sig",
            base64::encode_config("{}", base64::URL_SAFE_NO_PAD),
            base64::encode_config(r#"{"exp":1000}"#, base64::URL_SAFE_NO_PAD)
        );
        // Unroutable endpoint: reaching the network would be a different error.
        let endpoint = "https://192.0.2.1/token";
        let options = CallOptions::new(None, 1, None);
        assert_eq!(
            fetch_token("nope", &expired, &options).unwrap_err().kind(),
            nt_result::NT_INVALID_URL
        );
        assert_eq!(
            fetch_token(endpoint, "x.y", &options).unwrap_err().kind(),
            nt_result::NT_MALFORMED_JWT
        );
        let error = fetch_token(endpoint, &expired, &options).unwrap_err();
        assert_eq!(error.kind(), nt_result::NT_EXPIRED_JWT);
        assert!(
            error.message().contains("1970-01-01T00:16:40Z"),
            "{}",
            error.message()
        );
    }
}
