//! A string that holds a secret (JWT, access token, code, response body): its bytes are wiped
//! when it is dropped, and it never shows itself in `Debug` output.

use std::fmt;
use zeroize::Zeroize;

/// An owned string handed out by the session store (opaque). Read with `nt_string_get`, freed
/// once with `nt_string_free`, which wipes its bytes.
//
// In Rust: secret text, zeroed on drop, shown as `[redacted]` by `Debug`.
// No PartialEq: comparing secrets byte by byte would leak timing; nothing here needs it.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// The secret itself; callers must not copy it into anything that is logged.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Secret(text)
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Secret(text.to_owned())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::from("eyJhbGciOi.marker.secret");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "eyJhbGciOi.marker.secret");
    }
}
