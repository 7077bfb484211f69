//! Windows error codes of TLS and certificate failures (schannel's, HRESULTs), so that a failed
//! TLS handshake on Windows is classified by its code, never by the wording of the system's
//! message: that wording is translated on a non-English Windows, and empty under Wine.
//!
//! native-tls's schannel error shows the code but does not expose it: its text is Rust's for an
//! OS error, "<system message> (os error -2146762487)", or, when Windows has no message for the
//! code, "OS Error -2146762487 (FormatMessageW() returned error 317)". Both forms are Rust's own,
//! the same in every language; the code is read from there (or from an `io::Error` in the chain).

use std::error::Error as StdError;

/// A TLS or certificate failure code, with its SDK name and meaning when this table knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsCode {
    pub code: u32,
    pub name: Option<&'static str>,
    pub meaning: Option<&'static str>,
}

impl std::fmt::Display for TlsCode {
    /// "CERT_E_UNTRUSTEDROOT 0x800B0109: the certificate chain ends in a root that is not trusted",
    /// or "Windows error 0x800B01AB" for a code of the family this table does not name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.name, self.meaning) {
            (Some(name), Some(meaning)) => write!(f, "{name} 0x{:08X}: {meaning}", self.code),
            _ => write!(f, "Windows error 0x{:08X}", self.code),
        }
    }
}

/// Named codes (winerror.h) with what they mean for a client.
const NAMED: &[(u32, &str, &str)] = &[
    (
        0x800B_0101,
        "CERT_E_EXPIRED",
        "the certificate has expired or is not yet valid",
    ),
    (
        0x800B_0109,
        "CERT_E_UNTRUSTEDROOT",
        "the certificate chain ends in a root that is not trusted",
    ),
    (
        0x800B_010A,
        "CERT_E_CHAINING",
        "no certificate chain to a trusted root could be built",
    ),
    (0x800B_010C, "CERT_E_REVOKED", "the certificate was revoked"),
    (
        0x800B_010F,
        "CERT_E_CN_NO_MATCH",
        "the certificate's names do not include the host name",
    ),
    (
        0x800B_0110,
        "CERT_E_WRONG_USAGE",
        "the certificate is not valid for this use",
    ),
    (
        0x800B_0112,
        "CERT_E_UNTRUSTEDCA",
        "a certificate in the chain comes from a CA that is not trusted",
    ),
    (
        0x8009_0304,
        "SEC_E_INTERNAL_ERROR",
        "the TLS library failed internally",
    ),
    (
        0x8009_0322,
        "SEC_E_WRONG_PRINCIPAL",
        "the certificate's names do not include the host name",
    ),
    (
        0x8009_0325,
        "SEC_E_UNTRUSTED_ROOT",
        "the certificate chain was issued by an authority that is not trusted",
    ),
    (
        0x8009_0326,
        "SEC_E_ILLEGAL_MESSAGE",
        "the peer sent a TLS message that could not be processed (or a fatal alert)",
    ),
    (
        0x8009_0327,
        "SEC_E_CERT_UNKNOWN",
        "the certificate could not be processed",
    ),
    (
        0x8009_0328,
        "SEC_E_CERT_EXPIRED",
        "the certificate has expired",
    ),
    (
        0x8009_0331,
        "SEC_E_ALGORITHM_MISMATCH",
        "client and server have no TLS version or cipher suite in common",
    ),
    (
        0x8009_2010,
        "CRYPT_E_REVOKED",
        "the certificate was revoked",
    ),
    (
        0x8009_2012,
        "CRYPT_E_NO_REVOCATION_CHECK",
        "the certificate's revocation could not be checked",
    ),
    (
        0x8009_2013,
        "CRYPT_E_REVOCATION_OFFLINE",
        "the revocation server was offline",
    ),
];

/// The TLS or certificate failure among `causes`, if one carries such a code.
pub fn tls_failure<'a>(
    mut causes: impl Iterator<Item = &'a (dyn StdError + 'static)>,
) -> Option<TlsCode> {
    causes.find_map(|cause| os_error_code(cause).and_then(tls_code))
}

/// The code, if it is one of the TLS and certificate families: CERT_E_* and TRUST_E_*
/// (0x800B01xx), SEC_E_* (0x800903xx), CRYPT_E_* (0x800920xx).
pub fn tls_code(code: u32) -> Option<TlsCode> {
    let family = matches!(code & 0xFFFF_FF00, 0x800B_0100 | 0x8009_0300 | 0x8009_2000);
    if !family {
        return None;
    }
    let named = NAMED.iter().find(|(known, _, _)| *known == code);
    Some(TlsCode {
        code,
        name: named.map(|(_, name, _)| *name),
        meaning: named.map(|(_, _, meaning)| *meaning),
    })
}

/// The OS error code of one cause: an `io::Error`'s own, else the number Rust's text for an OS
/// error holds ("(os error N)" or "OS Error N (").
fn os_error_code(cause: &(dyn StdError + 'static)) -> Option<u32> {
    if let Some(code) = cause
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::raw_os_error)
    {
        return Some(code as u32);
    }
    code_in_text(&cause.to_string())
}

fn code_in_text(text: &str) -> Option<u32> {
    const MARK: &str = "os error ";
    let lower = text.to_ascii_lowercase();
    let start = lower.find(MARK)? + MARK.len();
    let number: String = lower[start..]
        .chars()
        .enumerate()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
        .map(|(_, c)| c)
        .collect();
    number.parse::<i64>().ok().map(|code| code as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_code_in_both_of_rusts_forms() {
        assert_eq!(
            code_in_text("OS Error -2146762487 (FormatMessageW() returned error 317)"),
            Some(0x800B_0109)
        );
        assert_eq!(
            code_in_text("Die Zertifikatkette wurde von einer nicht vertrauenswürdigen Zertifizierungsstelle ausgestellt. (os error -2146893019)"),
            Some(0x8009_0325)
        );
        assert_eq!(code_in_text("certificate verify failed"), None);
    }

    #[test]
    fn the_tls_families_and_nothing_else() {
        let untrusted = tls_code(0x800B_0109).expect("CERT_E_UNTRUSTEDROOT is a TLS failure");
        assert_eq!(untrusted.name, Some("CERT_E_UNTRUSTEDROOT"));
        assert_eq!(
            untrusted.to_string(),
            "CERT_E_UNTRUSTEDROOT 0x800B0109: the certificate chain ends in a root that is not trusted"
        );
        assert_eq!(
            tls_code(0x8009_0322).and_then(|c| c.name),
            Some("SEC_E_WRONG_PRINCIPAL")
        );
        assert_eq!(
            tls_code(0x800B_01AB).map(|c| c.to_string()).as_deref(),
            Some("Windows error 0x800B01AB")
        );
        // WSAECONNREFUSED, ERROR_FILE_NOT_FOUND, Linux's ECONNREFUSED: not TLS.
        for other in [10061_u32, 2, 111, 0x8007_0005] {
            assert_eq!(tls_code(other), None, "{other:#x}");
        }
    }

    #[test]
    fn finds_the_code_in_a_cause_chain() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error trying to connect")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let outer = Outer(std::io::Error::from_raw_os_error(0x800B_010F_u32 as i32));
        let causes =
            std::iter::successors(Some(&outer as &(dyn StdError + 'static)), |c| (*c).source());
        assert_eq!(
            tls_failure(causes).and_then(|c| c.name),
            Some("CERT_E_CN_NO_MATCH")
        );
        let refused = std::io::Error::from_raw_os_error(111);
        assert_eq!(
            tls_failure(std::iter::once(&refused as &(dyn StdError + 'static))),
            None
        );
    }
}
