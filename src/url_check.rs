//! Which URLs credentials may be sent to: absolute http(s) URLs, and plain http only to the
//! local machine (a JWT or code sent in clear text over a network is as good as published).

use crate::error::{nt_result, Error};
use reqwest::Url;
use url::Host;

/// What a URL argument is, for its messages: what it is called and the form it should take.
pub struct UrlRole {
    /// E.g. `endpoint`: messages say "the endpoint ...".
    pub name: &'static str,
    /// An example of the expected form, e.g. `https://api.armor.com:443`.
    pub form: &'static str,
}

/// Parses `text`, the URL argument `role`, as an absolute http(s) URL that is safe to send
/// credentials to. Every refusal of a URL that is not one is `NT_INVALID_URL` with a message of
/// one style: "the <role> <what is wrong>; expected the form <form>". The input is never
/// echoed: a secret pasted into the wrong parameter must not end up in an error message.
pub fn checked_url(text: &str, role: &UrlRole) -> Result<Url, Error> {
    let invalid = |why: &str| {
        Error::new(
            nt_result::NT_INVALID_URL,
            format!("the {} {why}; expected the form {}", role.name, role.form),
        )
    };
    let url = Url::parse(text).map_err(|_| invalid("is not an absolute URL"))?;
    let host = match (url.scheme(), url.host()) {
        ("http" | "https", Some(host)) => host,
        ("http" | "https", None) => return Err(invalid("has no host")),
        _ => return Err(invalid("does not start with https://")),
    };
    if url.scheme() == "http" && !is_loopback(&host) {
        return Err(Error::new(
            nt_result::NT_INSECURE_URL,
            format!(
                "refusing to send credentials over plain http to {host}; use https \
                 (http is allowed only to loopback: 127.0.0.0/8, ::1, localhost)"
            ),
        ));
    }
    Ok(url)
}

/// The longest URL a request can be sent to, written out in full (`Url::as_str`, fragment
/// included): reqwest turns every URL into an `http::Uri`, which takes at most `u16::MAX - 1`
/// bytes, and panics on one it cannot make.
pub(crate) const MAX_URL_BYTES: usize = u16::MAX as usize - 1;

/// Refuses `url` (the URL a call will post to, as built from the URL argument `role`) when it
/// is too long to be sent, in the style of `checked_url`'s messages. The only check of this
/// limit, made for every kind of call before any request; the URL is not echoed (its query may
/// hold a secret).
pub fn ensure_sendable(url: &Url, role: &UrlRole) -> Result<(), Error> {
    let length = url.as_str().len();
    if length > MAX_URL_BYTES {
        return Err(Error::new(
            nt_result::NT_INVALID_URL,
            format!(
                "the URL to post to, made from the {}, is {length} bytes long written out in \
                 full; expected at most {MAX_URL_BYTES} bytes (64 KiB - 2), the most an HTTP \
                 request can carry",
                role.name
            ),
        ));
    }
    Ok(())
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(address) => address.is_loopback(),
        Host::Ipv6(address) => address.is_loopback(),
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
    }
}

/// `url` for messages and traces: scheme, host, port and path only. User info and query are
/// left out because either may carry credentials.
pub fn for_display(url: &Url) -> String {
    let mut shown = origin_for_display(url);
    shown.push_str(url.path());
    shown
}

/// `scheme://host[:port]` of `url`, without user info (a proxy's URL often carries a password).
pub fn origin_for_display(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FORM: &str = "https://host/path";
    const ROLE: UrlRole = UrlRole {
        name: "endpoint",
        form: FORM,
    };

    fn kind_of(text: &str) -> nt_result {
        checked_url(text, &ROLE).map_or_else(|error| error.kind(), |_| nt_result::NT_OK)
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        for text in [
            "https://api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token",
            "https://api.armor.com:443",
            "http://127.0.0.1:8080/token",
            "http://127.255.0.9/",
            "http://[::1]:1/x",
            "http://LOCALHOST/x",
        ] {
            assert_eq!(kind_of(text), nt_result::NT_OK, "{text}");
        }
    }

    #[test]
    fn refuses_the_rest() {
        assert_eq!(
            kind_of("http://api.venafi.cloud/token"),
            nt_result::NT_INSECURE_URL
        );
        assert_eq!(kind_of("http://10.0.0.1/token"), nt_result::NT_INSECURE_URL);
        assert_eq!(
            kind_of("http://localhost.example/"),
            nt_result::NT_INSECURE_URL
        );
        for text in [
            "",
            "api.venafi.cloud/token",
            "/v1/token",
            "ftp://host/x",
            "mailto:a@b",
            "https://",
        ] {
            assert_eq!(kind_of(text), nt_result::NT_INVALID_URL, "{text}");
        }
        let insecure = checked_url("http://example.com/", &ROLE).unwrap_err();
        assert!(insecure.message().contains("https"));
        let invalid = checked_url("not a url", &ROLE).unwrap_err();
        assert!(invalid.message().contains(FORM) && !invalid.message().contains("not a url"));
    }

    #[test]
    fn every_kind_of_invalid_url_has_a_message_of_one_style() {
        for (text, what_is_wrong) in [
            ("not a url", "is not an absolute URL"),
            ("/v1/token", "is not an absolute URL"),
            ("https://", "is not an absolute URL"),
            ("ftp://host/x", "does not start with https://"),
            ("mailto:a@b", "does not start with https://"),
        ] {
            let error = checked_url(text, &ROLE).unwrap_err();
            assert_eq!(error.kind(), nt_result::NT_INVALID_URL, "{text}");
            assert_eq!(
                error.message(),
                format!("the endpoint {what_is_wrong}; expected the form {FORM}"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_url_limit_is_the_one_of_http_uri() {
        // The same conversion reqwest makes before it sends (and panics on when it fails).
        let url_of_length = |length: usize| {
            let prefix = "http://127.0.0.1:1/t?pad=";
            Url::parse(&format!("{prefix}{}", "x".repeat(length - prefix.len()))).unwrap()
        };
        let largest = url_of_length(MAX_URL_BYTES);
        assert_eq!(largest.as_str().len(), MAX_URL_BYTES);
        assert!(largest.as_str().parse::<::http::Uri>().is_ok());
        assert!(ensure_sendable(&largest, &ROLE).is_ok());
        let too_long = url_of_length(MAX_URL_BYTES + 1);
        assert!(too_long.as_str().parse::<::http::Uri>().is_err());
        let error = ensure_sendable(&too_long, &ROLE).unwrap_err();
        assert_eq!(error.kind(), nt_result::NT_INVALID_URL);
        assert_eq!(
            error.message(),
            "the URL to post to, made from the endpoint, is 65535 bytes long written out in \
             full; expected at most 65534 bytes (64 KiB - 2), the most an HTTP request can carry"
        );
        assert!(!error.message().contains("xxxx"), "{}", error.message());
    }

    #[test]
    fn display_leaves_out_credentials_and_query() {
        let url = Url::parse("https://user:pw@host:8443/a/b?fault=x#f").unwrap();
        assert_eq!(for_display(&url), "https://host:8443/a/b");
        assert_eq!(origin_for_display(&url), "https://host:8443");
        let proxy = Url::parse("http://u:p@[::1]:3128").unwrap();
        assert_eq!(origin_for_display(&proxy), "http://[::1]:3128");
    }

    proptest! {
        #[test]
        fn any_text_is_accepted_or_typed(text in ".{0,100}") {
            let kind = kind_of(&text);
            prop_assert!(matches!(kind, nt_result::NT_OK | nt_result::NT_INVALID_URL | nt_result::NT_INSECURE_URL));
        }

        #[test]
        fn url_like_text_is_accepted_or_typed(scheme in "(https?|ftp|)", host in "[a-z0-9.:\\[\\]]{0,20}", path in "[/a-z?=]{0,10}") {
            let kind = kind_of(&format!("{scheme}://{host}{path}"));
            prop_assert!(matches!(kind, nt_result::NT_OK | nt_result::NT_INVALID_URL | nt_result::NT_INSECURE_URL));
        }
    }
}
