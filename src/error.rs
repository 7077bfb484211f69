//! The error of every fallible call: a kind (which is also the C result code), a message for
//! people, the HTTP status when a server answered, and a non-secret trace of the attempts made.

use std::fmt;

/// Result code of every fallible function, and the kind of an `nt_error`.
///
/// Values are stable: new codes may be added at the end, existing ones never change.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum nt_result {
    /// Success.
    NT_OK = 0,
    /// Null pointer, invalid UTF-8, empty or over-long value, grant type not allowed, unusable
    /// CA file or proxy URL.
    NT_INVALID_ARGUMENT = 1,
    /// Handle freed already, never issued, or of another type.
    NT_INVALID_HANDLE = 2,
    /// Not an absolute http(s) URL.
    NT_INVALID_URL = 3,
    /// `http` to a host that is not loopback (127.0.0.0/8, ::1, localhost).
    NT_INSECURE_URL = 4,
    /// Not three base64url parts, or header/payload not JSON objects.
    NT_MALFORMED_JWT = 5,
    /// The JWT's `exp` is in the past (the message gives the expiry, UTC ISO 8601).
    NT_EXPIRED_JWT = 6,
    /// The server answered non-2xx; status and the server's own message.
    NT_HTTP_STATUS = 7,
    /// No complete answer within the timeout (the message says after how long).
    NT_TIMEOUT = 8,
    /// Connection refused or host unreachable (the service's, or the proxy's).
    NT_CONNECT_FAILED = 9,
    /// The host name did not resolve.
    NT_DNS_FAILED = 10,
    /// The connection was closed or reset before a complete answer.
    NT_CONNECTION_RESET = 11,
    /// TLS handshake or certificate problem (the message says how to trust a private CA).
    NT_TLS_FAILED = 12,
    /// 2xx but not the expected JSON, a missing field, wrong token type, bad expires_in, body over 1 MiB.
    NT_INVALID_RESPONSE = 13,
    /// `nt_vc_session_refresh` on a session that was never begun.
    NT_NO_SESSION = 14,
    /// A panic was caught inside the library.
    NT_PANIC = 15,
    /// The call's `nt_cancel` was triggered.
    NT_CANCELLED = 16,
}

impl nt_result {
    /// Every code, in numeric order.
    pub const ALL: [nt_result; 17] = [
        nt_result::NT_OK,
        nt_result::NT_INVALID_ARGUMENT,
        nt_result::NT_INVALID_HANDLE,
        nt_result::NT_INVALID_URL,
        nt_result::NT_INSECURE_URL,
        nt_result::NT_MALFORMED_JWT,
        nt_result::NT_EXPIRED_JWT,
        nt_result::NT_HTTP_STATUS,
        nt_result::NT_TIMEOUT,
        nt_result::NT_CONNECT_FAILED,
        nt_result::NT_DNS_FAILED,
        nt_result::NT_CONNECTION_RESET,
        nt_result::NT_TLS_FAILED,
        nt_result::NT_INVALID_RESPONSE,
        nt_result::NT_NO_SESSION,
        nt_result::NT_PANIC,
        nt_result::NT_CANCELLED,
    ];

    /// The code with this numeric value, if there is one.
    pub fn from_u32(code: u32) -> Option<nt_result> {
        Self::ALL.get(usize::try_from(code).ok()?).copied()
    }

    /// The name given by `nt_result_name`, NUL-terminated so it can be handed to C as is.
    pub fn name_with_nul(self) -> &'static str {
        match self {
            nt_result::NT_OK => "Ok\0",
            nt_result::NT_INVALID_ARGUMENT => "InvalidArgument\0",
            nt_result::NT_INVALID_HANDLE => "InvalidHandle\0",
            nt_result::NT_INVALID_URL => "InvalidUrl\0",
            nt_result::NT_INSECURE_URL => "InsecureUrl\0",
            nt_result::NT_MALFORMED_JWT => "MalformedJwt\0",
            nt_result::NT_EXPIRED_JWT => "ExpiredJwt\0",
            nt_result::NT_HTTP_STATUS => "HttpStatus\0",
            nt_result::NT_TIMEOUT => "Timeout\0",
            nt_result::NT_CONNECT_FAILED => "ConnectFailed\0",
            nt_result::NT_DNS_FAILED => "DnsFailed\0",
            nt_result::NT_CONNECTION_RESET => "ConnectionReset\0",
            nt_result::NT_TLS_FAILED => "TlsFailed\0",
            nt_result::NT_INVALID_RESPONSE => "InvalidResponse\0",
            nt_result::NT_NO_SESSION => "NoSession\0",
            nt_result::NT_PANIC => "Panic\0",
            nt_result::NT_CANCELLED => "Cancelled\0",
        }
    }

    /// The name without its NUL, for Rust callers.
    pub fn name(self) -> &'static str {
        self.name_with_nul().trim_end_matches('\0')
    }
}

/// An error of a failed call (opaque). Taken with `nt_error_take_last`, read with the
/// `nt_error_*` functions, freed once with `nt_error_free`. Its message and trace never hold a
/// secret.
//
// Invariant behind that promise: text built from inputs or server answers passes through
// `Error::redact` with the call's secrets before it leaves the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: nt_result,
    message: String,
    http_status: u16,
    trace: String,
}

/// Replaces secrets in error text.
const REDACTED: &str = "[redacted]";

impl Error {
    /// An error of `kind` (never `NT_OK`) with a message for people.
    pub fn new(kind: nt_result, message: impl Into<String>) -> Error {
        debug_assert_ne!(kind, nt_result::NT_OK, "an error needs a failure kind");
        Error {
            kind,
            message: message.into(),
            http_status: 0,
            trace: String::new(),
        }
    }

    /// An `NT_HTTP_STATUS` error for a server that answered `status`.
    pub fn http_status(status: u16, message: impl Into<String>) -> Error {
        Error {
            http_status: status,
            ..Error::new(nt_result::NT_HTTP_STATUS, message)
        }
    }

    /// Shorthand for the most common kind.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(nt_result::NT_INVALID_ARGUMENT, message)
    }

    /// Shorthand for a response that is not what the service promises.
    pub fn invalid_response(message: impl Into<String>) -> Error {
        Error::new(nt_result::NT_INVALID_RESPONSE, message)
    }

    /// The same error with `trace` (the attempts made) attached.
    pub fn with_trace(self, trace: impl Into<String>) -> Error {
        Error {
            trace: trace.into(),
            ..self
        }
    }

    /// The same error with every occurrence of each secret (as given, and as it looks
    /// form-urlencoded) replaced by `[redacted]` in message and trace. Servers sometimes echo
    /// what they were sent, so this runs on every error that leaves a call holding secrets.
    pub fn redact(self, secrets: &[&str]) -> Error {
        let mut message = self.message;
        let mut trace = self.trace;
        for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
            let form_encoded: String =
                url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            for variant in [*secret, form_encoded.as_str()] {
                message = message.replace(variant, REDACTED);
                trace = trace.replace(variant, REDACTED);
            }
        }
        Error {
            message,
            trace,
            ..self
        }
    }

    pub fn kind(&self) -> nt_result {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server's status for `NT_HTTP_STATUS`, else 0.
    pub fn status(&self) -> u16 {
        self.http_status
    }

    pub fn trace(&self) -> &str {
        &self.trace
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_have_names() {
        for (index, code) in nt_result::ALL.iter().enumerate() {
            assert_eq!(*code as u32, index as u32);
            assert_eq!(nt_result::from_u32(index as u32), Some(*code));
            assert!(code.name_with_nul().ends_with('\0'));
            assert!(!code.name().contains('\0'));
        }
        assert_eq!(nt_result::from_u32(17), None);
        assert_eq!(nt_result::from_u32(u32::MAX), None);
        assert_eq!(nt_result::NT_HTTP_STATUS.name(), "HttpStatus");
    }

    #[test]
    fn redact_replaces_plain_and_form_encoded_secrets() {
        let code = "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo=";
        let encoded: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
        let error = Error::http_status(400, format!("bad code {code} / {encoded}"))
            .with_trace(format!("sent {code}"))
            .redact(&[code, ""]);
        assert_eq!(error.message(), "bad code [redacted] / [redacted]");
        assert_eq!(error.trace(), "sent [redacted]");
        assert_eq!(error.status(), 400);
        assert_eq!(error.kind(), nt_result::NT_HTTP_STATUS);
    }
}
