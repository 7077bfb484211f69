//! Transport failures sorted into the error kinds of the C ABI, with messages that name the
//! target (and the proxy) without the URL's secrets.

use crate::error::{nt_result, Error};
use crate::url_check;
use crate::windows_codes;
use reqwest::Url;

/// Sorts a transport failure into an error kind, by its causes: the I/O error kind when there
/// is one, else what hyper and the TLS library say. reqwest's own text is left out of both the
/// checks and the message, because it holds the whole URL, query included. With a proxy, every
/// connection is the proxy's: failures to reach it, or a tunnel it refused, name it.
pub(super) fn classify(error: &reqwest::Error, url: &Url, proxy: Option<&str>) -> Error {
    let target = url_check::for_display(url);
    let host = url.host_str().unwrap_or_default();
    let detail = most_specific_cause(error);
    let io_kind =
        causes(error).find_map(|cause| cause.downcast_ref::<std::io::Error>().map(|io| io.kind()));
    let mentions = |needles: &[&str]| {
        causes(error).any(|cause| {
            let text = cause.to_string().to_ascii_lowercase();
            needles.iter().any(|needle| text.contains(needle))
        })
    };
    // " through the proxy http://host:port", or nothing.
    let via = proxy.map_or_else(String::new, |proxy| format!(" through the proxy {proxy}"));
    // On Windows a TLS failure is known by its code (the system's words vary by language).
    let tls_code = windows_codes::tls_failure(causes(error));
    use std::io::ErrorKind;
    let (kind, message) = match (io_kind, proxy) {
        (Some(ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable), Some(proxy)) => (
            nt_result::NT_CONNECT_FAILED,
            format!("could not connect to the proxy {proxy} (for {target}): {detail}"),
        ),
        (_, Some(proxy)) if mentions(&["tunnel", "proxy authentication"]) => (
            nt_result::NT_CONNECT_FAILED,
            format!("the proxy {proxy} did not open a tunnel to {target}: {detail}"),
        ),
        (_, Some(proxy)) if mentions(&["dns error", "failed to lookup address"]) => (
            nt_result::NT_DNS_FAILED,
            format!("the host name of the proxy {proxy} did not resolve: {detail}"),
        ),
        (Some(ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable), None) => (
            nt_result::NT_CONNECT_FAILED,
            format!("could not connect to {target}: {detail}"),
        ),
        _ if tls_code.is_some() => (
            nt_result::NT_TLS_FAILED,
            format!(
                "TLS with {target}{via} failed ({}; {detail}). {TRUST_ADVICE}",
                tls_code.expect("checked by the guard")
            ),
        ),
        (
            Some(
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof,
            ),
            _,
        ) => (
            nt_result::NT_CONNECTION_RESET,
            format!("the connection to {target}{via} was reset before a complete answer: {detail}"),
        ),
        _ if mentions(&["dns error", "failed to lookup address"]) => (
            nt_result::NT_DNS_FAILED,
            format!("the host name {host} did not resolve: {detail}"),
        ),
        _ if error.is_timeout() => (
            nt_result::NT_TIMEOUT,
            format!("no answer from {target}{via} in time: {detail}"),
        ),
        _ if mentions(&["certificate", "ssl", "tls", "handshake"]) => (
            nt_result::NT_TLS_FAILED,
            format!("TLS with {target}{via} failed ({detail}). {TRUST_ADVICE}"),
        ),
        _ if mentions(&["connection closed", "incomplete message", "unexpected eof"]) => (
            nt_result::NT_CONNECTION_RESET,
            format!(
                "the connection to {target}{via} was closed before a complete answer: {detail}"
            ),
        ),
        _ if error.is_connect() => (
            nt_result::NT_CONNECT_FAILED,
            format!("could not connect to {target}{via}: {detail}"),
        ),
        _ => (
            nt_result::NT_CONNECTION_RESET,
            format!("the exchange with {target}{via} broke off: {detail}"),
        ),
    };
    Error::new(kind, message)
}

/// What a TLS failure's message tells the user to do: the ways to trust a private CA on this
/// system (docs/ERRORS.md, "Trusting a private CA").
#[cfg(windows)]
const TRUST_ADVICE: &str = "This is a certificate/TLS problem: if the server's certificate comes from a private CA, \
     trust that CA in the Windows certificate store (Cert:\\CurrentUser\\Root) or with SSL_CERT_FILE=C:\\path\\ca.pem";
#[cfg(not(windows))]
const TRUST_ADVICE: &str =
    "This is a certificate/TLS problem: if the server's certificate comes from a private CA, \
     trust that CA with SSL_CERT_FILE=/path/ca.pem";

/// The causes of `error`, outermost first, without `error` itself.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(error.source(), |cause| cause.source())
}

/// The most specific description among the causes: the innermost, or an outer one that only
/// adds to its text (native-tls appends the certificate verdict to OpenSSL's message, as in
/// "...certificate verify failed... (self-signed certificate)").
pub(crate) fn most_specific_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let texts: Vec<String> = causes(error).map(|cause| cause.to_string()).collect();
    let mut specific = texts
        .last()
        .cloned()
        .unwrap_or_else(|| "no details".to_owned());
    for outer in texts.iter().rev().skip(1) {
        if !outer.starts_with(specific.as_str()) {
            break;
        }
        specific = outer.clone();
    }
    specific
}
