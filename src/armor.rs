//! Armor: an API session token for a temporary authorization code, and its reissue.

use crate::error::Error;
use crate::http::{self, CallOptions, Post};
use crate::secret::Secret;
use crate::token::{ExpiresInUnit, Request, Token};
use crate::url_check::{self, UrlRole};
use reqwest::Url;
use serde::Serialize;

/// The URL argument of Armor calls, as its messages name it.
pub(crate) const BASE_URL: UrlRole = UrlRole {
    name: "base URL",
    form: "https://api.armor.com:443",
};
/// The only grant type Armor's token endpoint takes; OAuth grant types are case-sensitive.
const GRANT_TYPE: &str = "authorization_code";

#[derive(Serialize)]
struct TokenRequest<'a> {
    code: &'a str,
    grant_type: &'a str,
}

#[derive(Serialize)]
struct ReissueRequest<'a> {
    token: &'a str,
}

/// Redeems `code` at `<base_url>/auth/token`. `grant_type` is accepted in any casing and sent
/// lower-case. No error mentions the code, even if the server echoes it.
pub fn fetch_token(
    base_url: &str,
    code: &str,
    grant_type: &str,
    options: &CallOptions<'_>,
) -> Result<Token, Error> {
    redeem_code(base_url, code, grant_type, options).map_err(|error| error.redact(&[code]))
}

/// Exchanges a live `access_token` for a new one at `<base_url>/auth/token/reissue`.
pub fn reissue_token(
    base_url: &str,
    access_token: &str,
    options: &CallOptions<'_>,
) -> Result<Token, Error> {
    reissue(base_url, access_token, options).map_err(|error| error.redact(&[access_token]))
}

fn redeem_code(
    base_url: &str,
    code: &str,
    grant_type: &str,
    options: &CallOptions<'_>,
) -> Result<Token, Error> {
    if !grant_type.eq_ignore_ascii_case(GRANT_TYPE) {
        // The value is not echoed: it may be the code given in the wrong position.
        return Err(Error::invalid_argument(
            "grant_type must be authorization_code (any casing)",
        ));
    }
    let url = service_url(base_url, "/auth/token")?;
    let body = json_body(&TokenRequest {
        code,
        grant_type: GRANT_TYPE,
    });
    post_for_token(&url, &body, options)
}

fn reissue(base_url: &str, access_token: &str, options: &CallOptions<'_>) -> Result<Token, Error> {
    let url = service_url(base_url, "/auth/token/reissue")?;
    let body = json_body(&ReissueRequest {
        token: access_token,
    });
    post_for_token(&url, &body, options)
}

/// `base_url` with `path` appended to its path; its query (if any) is kept. The whole URL must
/// fit in a request, path included.
fn service_url(base_url: &str, path: &str) -> Result<Url, Error> {
    let mut url = url_check::checked_url(base_url, &BASE_URL)?;
    let joined = format!("{}{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    url_check::ensure_sendable(&url, &BASE_URL)?;
    Ok(url)
}

fn json_body<T: Serialize>(request: &T) -> zeroize::Zeroizing<String> {
    // Serialising two string fields cannot fail.
    zeroize::Zeroizing::new(serde_json::to_string(request).unwrap_or_default())
}

fn post_for_token(url: &Url, body: &str, options: &CallOptions<'_>) -> Result<Token, Error> {
    let post = Post {
        url,
        content_type: "application/json",
        body: body.as_bytes(),
    };
    let answer = http::post(&post, options)?;
    let request = Request {
        endpoint: url.to_string(),
        jwt: Secret::default(),
    };
    Token::from_answer(answer, ExpiresInUnit::Minutes, request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::nt_result;

    #[test]
    fn bodies_are_the_documented_ones() {
        let code = "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo=";
        assert_eq!(
            *json_body(&TokenRequest {
                code,
                grant_type: GRANT_TYPE
            }),
            format!(r#"{{"code":"{code}","grant_type":"authorization_code"}}"#)
        );
        assert_eq!(
            *json_body(&ReissueRequest { token: "abc" }),
            r#"{"token":"abc"}"#
        );
    }

    #[test]
    fn paths_are_appended_and_queries_kept() {
        let url = |base| service_url(base, "/auth/token").unwrap().to_string();
        assert_eq!(
            url("https://api.armor.com:443"),
            "https://api.armor.com/auth/token"
        );
        assert_eq!(url("https://h/prefix/"), "https://h/prefix/auth/token");
        assert_eq!(
            url("http://127.0.0.1:9/?fault=html"),
            "http://127.0.0.1:9/auth/token?fault=html"
        );
    }

    #[test]
    fn grant_type_is_checked_first() {
        let options = CallOptions::new(None, 1, None);
        let error = fetch_token("nope", "code", "client_credentials", &options).unwrap_err();
        assert_eq!(error.kind(), nt_result::NT_INVALID_ARGUMENT);
        let error = fetch_token("nope", "code", "Authorization_Code", &options).unwrap_err();
        assert_eq!(error.kind(), nt_result::NT_INVALID_URL);
    }
}
