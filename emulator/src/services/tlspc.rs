//! TLS Protect Cloud: the OAuth 2.0 client-credentials grant with a JWT client assertion, and
//! `GET /v1/useraccounts` for the tokens it issued (what VenafiPS's `New-VenafiSession` and
//! `Get-VcUser -Me` call next).

use std::time::{SystemTime, UNIX_EPOCH};

use hyper::{Body, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::services::issued::{self, Issued};
use crate::services::random;
use crate::services::reply::{self, Rejection};
use crate::services::request::{self, Problem};

/// The route's name in the statistics.
pub const ROUTE: &str = "/v1/oauth2/v2.0/{tenant}/token";
pub const USER_ACCOUNTS_ROUTE: &str = "/v1/useraccounts";
const PATH_PREFIX: &str = "/v1/oauth2/v2.0/";
const PATH_SUFFIX: &str = "/token";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SCOPE: &str = "certificate:discover,manage,request,revoke";
const EXPIRES_IN_SECONDS: u64 = 3600;

/// What the token route answered, and the assertion's subject for the log (not a secret).
pub struct Answer {
    pub response: Response<Body>,
    pub sub: Option<String>,
}

/// The tenant segment of a token path, whatever it holds.
pub fn tenant_of(path: &str) -> Option<&str> {
    let tenant = path.strip_prefix(PATH_PREFIX)?.strip_suffix(PATH_SUFFIX)?;
    (!tenant.is_empty() && !tenant.contains('/')).then_some(tenant)
}

/// A successful token response with a new random token.
pub fn token_body() -> Value {
    json!({
        "access_token": random::hex(32),
        "token_type": "Bearer",
        "expires_in": EXPIRES_IN_SECONDS,
        "scope": SCOPE,
    })
}

/// The holder name of a token whose assertion had no `sub`.
const NO_SUBJECT: &str = "service-account";

/// The access tokens issued, for the API route.
#[derive(Default)]
pub struct Tlspc {
    issued: Issued,
}

impl Tlspc {
    pub async fn token(&self, request: Request<Body>) -> Answer {
        let mut sub = None;
        let response = match check_token_request(request, &mut sub).await {
            Ok(()) => {
                let body = token_body();
                if let Some(token) = body["access_token"].as_str() {
                    self.issued
                        .insert(token, sub.as_deref().unwrap_or(NO_SUBJECT));
                }
                reply::json(StatusCode::OK, &body)
            }
            Err(rejection) => rejection.into_response(),
        };
        Answer { response, sub }
    }

    /// `GET /v1/useraccounts` with `Authorization: Bearer <a token this emulator issued>`: the
    /// token's holder as a user (`{"user":[{"id",...}],"company":{...}}`); 401 for any other.
    pub fn user_accounts(&self, request: &Request<Body>) -> Response<Body> {
        let holder = issued::credentials(request.headers(), "Bearer")
            .and_then(|token| self.issued.holder(token));
        match holder {
            Some(holder) => reply::json(StatusCode::OK, &user_accounts_body(&holder)),
            None => reply::envelope(
                StatusCode::UNAUTHORIZED,
                "Unauthorized: the Bearer token is missing, unknown or expired",
            ),
        }
    }
}

/// The shape VenafiPS reads (`user[].id` and the rest), with fixed identifiers.
fn user_accounts_body(holder: &str) -> Value {
    json!({
        "user": [{
            "id": "5c3a7a3e-0d63-11ef-9c39-0242ac120002",
            "username": holder,
            "firstname": "Emulated",
            "lastname": "Service Account",
            "companyId": "6b2f6a40-0d63-11ef-9c39-0242ac120002",
            "userType": "EXTERNAL",
            "userAccountType": "API",
            "userStatus": "ACTIVE",
            "systemRoles": ["PLATFORM_ADMIN"],
        }],
        "company": {
            "id": "6b2f6a40-0d63-11ef-9c39-0242ac120002",
            "name": "Emulated company",
        },
    })
}

/// Validates in the real service's order; `sub` is filled as soon as the assertion decodes.
async fn check_token_request(
    request: Request<Body>,
    sub: &mut Option<String>,
) -> Result<(), Rejection> {
    if !tenant_of(request.uri().path()).map_or(false, is_guid) {
        return Err(Rejection::Envelope(
            StatusCode::NOT_FOUND,
            "Tenant not found: the tenant must be a GUID".into(),
        ));
    }
    request::require_media_type(request.headers(), "application/x-www-form-urlencoded")
        .map_err(envelope)?;
    let body = request::read_body(request.into_body())
        .await
        .map_err(envelope)?;
    let form = request::parse_form(&body).map_err(invalid_request)?;

    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return Err(Rejection::OAuth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials".into(),
        ));
    }
    if form.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
        return Err(invalid_request(format!(
            "client_assertion_type must be {JWT_BEARER}"
        )));
    }
    let jwt = form
        .get("client_assertion")
        .ok_or_else(|| invalid_request("client_assertion is required".into()))?;
    let assertion = parse_assertion(jwt)
        .map_err(|message| Rejection::Envelope(StatusCode::BAD_REQUEST, message))?;
    *sub = assertion.sub;
    if assertion.expires_at <= unix_now() {
        return Err(Rejection::OAuth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client assertion has expired".into(),
        ));
    }
    Ok(())
}

fn envelope(problem: Problem) -> Rejection {
    Rejection::Envelope(problem.status, problem.message)
}

fn invalid_request(description: String) -> Rejection {
    Rejection::OAuth(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// 8-4-4-4-12 hexadecimal digits.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, len)| {
            group.len() == len && group.bytes().all(|byte| byte.is_ascii_hexdigit())
        })
}

/// The parts of a client assertion the emulator looks at. The signature is not verified.
#[derive(Debug)]
struct Assertion {
    sub: Option<String>,
    expires_at: f64,
}

/// Messages name the faulty part, never its content.
fn parse_assertion(jwt: &str) -> Result<Assertion, String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let (header, payload, signature) = match parts[..] {
        [header, payload, signature] => (header, payload, signature),
        _ => return Err("Invalid client assertion: a JWT has three dot-separated parts".into()),
    };
    let header = decode_json_part(header, "header")?;
    let payload = decode_json_part(payload, "payload")?;
    if signature.is_empty() || base64::decode_config(signature, base64::URL_SAFE_NO_PAD).is_err() {
        return Err("Invalid client assertion: the signature is not base64url".into());
    }
    if !header.get("alg").map_or(false, Value::is_string) {
        return Err("Invalid client assertion: the header has no alg".into());
    }
    let expires_at = payload
        .get("exp")
        .and_then(Value::as_f64)
        .ok_or("Invalid client assertion: the payload has no numeric exp")?;
    let sub = payload
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Assertion { sub, expires_at })
}

fn decode_json_part(part: &str, name: &str) -> Result<Map<String, Value>, String> {
    let bytes = base64::decode_config(part, base64::URL_SAFE_NO_PAD)
        .map_err(|_| format!("Invalid client assertion: the {name} is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(format!(
            "Invalid client assertion: the {name} is not a JSON object"
        )),
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since_epoch| since_epoch.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &Value) -> String {
        base64::encode_config(value.to_string(), base64::URL_SAFE_NO_PAD)
    }

    #[test]
    fn tenant_must_be_one_segment_and_a_guid() {
        assert_eq!(tenant_of("/v1/oauth2/v2.0/abc/token"), Some("abc"));
        assert_eq!(tenant_of("/v1/oauth2/v2.0/a/b/token"), None);
        assert_eq!(tenant_of("/v1/oauth2/v2.0//token"), None);
        assert!(is_guid("0a1b2c3d-4e5f-6789-abcd-EF0123456789"));
        assert!(!is_guid("0a1b2c3d-4e5f-6789-abcd-EF012345678"));
        assert!(!is_guid("0a1b2c3d4e5f-6789-abcd-EF0123456789"));
        assert!(!is_guid("0a1b2c3g-4e5f-6789-abcd-EF0123456789"));
    }

    #[test]
    fn assertion_yields_subject_and_expiry() {
        let jwt = format!(
            "{}.{}.c2ln",
            encode(&json!({"alg": "RS256"})),
            encode(&json!({"sub": "svc", "exp": 1700000000}))
        );
        let assertion = parse_assertion(&jwt).unwrap();
        assert_eq!(assertion.sub.as_deref(), Some("svc"));
        assert_eq!(assertion.expires_at, 1_700_000_000.0);
    }

    #[test]
    fn malformed_assertions_are_named_without_content() {
        let header = encode(&json!({"alg": "RS256"}));
        let payload = encode(&json!({"exp": 1}));
        let cases = [
            ("only.two".to_owned(), "three"),
            (format!("{header}.{payload}.c2ln.x"), "three"),
            (format!("!!.{payload}.c2ln"), "header is not base64url"),
            (
                format!("{}.{payload}.c2ln", encode(&json!([1]))),
                "header is not a JSON object",
            ),
            (format!("{}.{payload}.c2ln", encode(&json!({}))), "no alg"),
            (
                format!("{header}.{}.c2ln", encode(&json!({"exp": "soon"}))),
                "numeric exp",
            ),
            (format!("{header}.{payload}."), "signature"),
        ];
        for (jwt, expected) in cases {
            let message = parse_assertion(&jwt).unwrap_err();
            assert!(message.contains(expected), "{jwt}: {message}");
        }
    }
}
