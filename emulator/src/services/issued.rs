//! Access tokens an emulated service issued, so that its API routes can tell a token it gave
//! out (and not yet replaced) from any other.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// Long benchmark runs fetch hundreds of thousands of tokens; only the newest are remembered, a
/// script's API calls use a recent one.
const REMEMBERED: usize = 4096;

/// Issued tokens and whom each was issued to (a name for the API's answers, never a secret).
#[derive(Default)]
pub struct Issued {
    tokens: Mutex<Tokens>,
}

#[derive(Default)]
struct Tokens {
    holder: HashMap<String, String>,
    order: VecDeque<String>,
}

impl Issued {
    pub fn insert(&self, token: &str, holder: &str) {
        let mut tokens = self.tokens();
        if tokens
            .holder
            .insert(token.to_owned(), holder.to_owned())
            .is_none()
        {
            tokens.order.push_back(token.to_owned());
        }
        while tokens.order.len() > REMEMBERED {
            if let Some(oldest) = tokens.order.pop_front() {
                tokens.holder.remove(&oldest);
            }
        }
    }

    /// Whom the token was issued to, if it is a live one.
    pub fn holder(&self, token: &str) -> Option<String> {
        self.tokens().holder.get(token).cloned()
    }

    /// Forgets the token (a reissue replaces it); its holder if it was live.
    pub fn remove(&self, token: &str) -> Option<String> {
        let mut tokens = self.tokens();
        let holder = tokens.holder.remove(token)?;
        tokens.order.retain(|kept| kept != token);
        Some(holder)
    }

    fn tokens(&self) -> MutexGuard<'_, Tokens> {
        // A panic elsewhere cannot leave the maps half-updated, so a poisoned lock is still usable.
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The credentials of an `Authorization: <scheme> <credentials>` header, when the scheme matches
/// (case-insensitively, as HTTP schemes do).
pub fn credentials<'a>(headers: &'a hyper::HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.split_once(' ')?;
    if given.eq_ignore_ascii_case(scheme) {
        Some(rest.trim())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_tokens_are_remembered() {
        let issued = Issued::default();
        for n in 0..REMEMBERED + 2 {
            issued.insert(&n.to_string(), "svc");
        }
        assert_eq!(issued.holder("0"), None);
        assert_eq!(issued.holder("1"), None);
        assert_eq!(issued.holder("2").as_deref(), Some("svc"));
        assert_eq!(issued.remove("2").as_deref(), Some("svc"));
        assert_eq!(issued.holder("2"), None);
    }

    #[test]
    fn the_scheme_must_match() {
        let mut headers = hyper::HeaderMap::new();
        headers.insert(hyper::header::AUTHORIZATION, "FH-AUTH abc".parse().unwrap());
        assert_eq!(credentials(&headers, "fh-auth"), Some("abc"));
        assert_eq!(credentials(&headers, "Bearer"), None);
    }
}
