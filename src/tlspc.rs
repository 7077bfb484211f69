//! TLS Protect Cloud: a service-account access token for a JWT client assertion
//! (OAuth 2.0 client-credentials grant, RFC 7523).

use crate::clock;
use crate::error::Error;
use crate::http::{self, CallOptions, Post};
use crate::jwt;
use crate::secret::Secret;
use crate::token::{ExpiresInUnit, Request, Token};
use crate::url_check;

/// Shown when the endpoint is not a URL.
const ENDPOINT_FORM: &str = "https://api.venafi.cloud/v1/oauth2/v2.0/<tenant-guid>/token";

/// Posts `jwt` to `endpoint` and returns the checked token. Refuses a malformed or expired JWT
/// before anything is sent. No error mentions the JWT, even if the server echoes it.
pub fn fetch_token(endpoint: &str, jwt: &str, options: &CallOptions<'_>) -> Result<Token, Error> {
    request_token(endpoint, jwt, options).map_err(|error| error.redact(&[jwt]))
}

fn request_token(endpoint: &str, jwt: &str, options: &CallOptions<'_>) -> Result<Token, Error> {
    let url = url_check::checked_url(endpoint, ENDPOINT_FORM)?;
    jwt::ensure_unexpired(jwt::parse_expiry(jwt)?, clock::now_unix_ms())?;
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

fn form_body(jwt: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .append_pair("client_assertion", jwt)
        .finish()
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
