//! A string that holds a secret (JWT, access token, code, response body): its bytes are wiped
//! when it is dropped, and it never shows itself in `Debug` output.

use std::fmt;
use zeroize::Zeroize;

/// Secret text, zeroed on drop, shown as `[redacted]` by `Debug`.
//
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

impl Secret {
    /// Zeroes every byte of the buffer (its whole capacity) and empties the string; the
    /// allocation itself is released later, by the drop that follows.
    fn wipe(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// Read from JSON as a string; a secret that a failed parse drops is wiped like any other.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret)
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

    #[test]
    fn wipe_zeroes_the_bytes_that_held_the_secret() {
        let mut secret = Secret::from("marker-access-token-0123456789");
        let (start, capacity) = (secret.0.as_ptr(), secret.0.capacity());
        secret.wipe();
        // The buffer is still allocated (only the drop that follows frees it), so reading it
        // observes what a later reader of that memory would have found.
        // SAFETY: `start` points to `capacity` bytes still owned by `secret`'s String.
        let bytes = unsafe { std::slice::from_raw_parts(start, capacity) };
        assert!(bytes.iter().all(|&byte| byte == 0));
        assert_eq!(secret.expose(), "");
    }
}
