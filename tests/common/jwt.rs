//! JWTs for the tests: each one distinct, so that each is a secret to look for in messages.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_unix_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// A JWT whose payload has `exp` and a unique marker subject (so that each test's JWT is a
/// distinct secret to look for in messages).
pub fn jwt_expiring_at(exp: i64) -> String {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let marker = format!(
        "marker-jwt-{}-{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::SeqCst)
    );
    let encode = |json: String| base64::encode_config(json, base64::URL_SAFE_NO_PAD);
    format!(
        "{}.{}.{}",
        encode(r#"{"alg":"RS256","typ":"JWT"}"#.to_owned()),
        encode(format!(r#"{{"sub":"{marker}","exp":{exp}}}"#)),
        encode(format!("signature-of-{marker}"))
    )
}

/// A JWT valid for an hour.
pub fn fresh_jwt() -> String {
    jwt_expiring_at(now_unix_s() + 3600)
}
