//! The self-signed server certificate, made fresh at every start.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
#[cfg(not(windows))]
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
#[cfg(not(windows))]
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

/// PEM text of the certificate and of its PKCS #8 private key.
pub struct SelfSigned {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

const VALID_DAYS: u32 = 30;
/// Backdating absorbs small clock differences between the emulator and its clients.
const BACKDATE_SECONDS: i64 = 3600;

/// Makes a certificate for `names` (DNS names, or IP addresses which become IP names).
pub fn generate(names: &[String]) -> Result<SelfSigned, ErrorStack> {
    let key = new_key()?;
    let cert = build_certificate(&key, names)?;
    Ok(SelfSigned {
        cert_pem: cert.to_pem()?,
        key_pem: key.private_key_to_pem_pkcs8()?,
    })
}

/// P-256 rather than RSA: a key in about a millisecond, so tests can start many emulators. Except
/// on Windows, where native-tls (SChannel) imports only RSA keys from PKCS #8.
#[cfg(not(windows))]
fn new_key() -> Result<PKey<Private>, ErrorStack> {
    let curve = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&curve)?)
}

#[cfg(windows)]
fn new_key() -> Result<PKey<Private>, ErrorStack> {
    PKey::from_rsa(openssl::rsa::Rsa::generate(2048)?)
}

fn build_certificate(key: &PKey<Private>, names: &[String]) -> Result<X509, ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", common_name(names))?;
    let name = name.build();

    let mut builder = X509Builder::new()?;
    builder.set_version(2)?; // X.509 v3, needed for extensions
    let serial = random_serial()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(&name)?;
    builder.set_issuer_name(&name)?;
    builder.set_pubkey(key)?;
    let not_before = Asn1Time::from_unix(unix_now() - BACKDATE_SECONDS)?;
    let not_after = Asn1Time::days_from_now(VALID_DAYS)?;
    builder.set_not_before(&not_before)?;
    builder.set_not_after(&not_after)?;

    // An end-entity certificate that clients trust directly (e.g. via SSL_CERT_FILE).
    builder.append_extension(BasicConstraints::new().critical().build()?)?;
    builder.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
    let subject_key_id = SubjectKeyIdentifier::new().build(&builder.x509v3_context(None, None))?;
    builder.append_extension(subject_key_id)?;
    let alt_names = subject_alt_names(names).build(&builder.x509v3_context(None, None))?;
    builder.append_extension(alt_names)?;

    builder.sign(key, MessageDigest::sha256())?;
    Ok(builder.build())
}

fn subject_alt_names(names: &[String]) -> SubjectAlternativeName {
    let mut alt_names = SubjectAlternativeName::new();
    for name in names {
        if name.parse::<IpAddr>().is_ok() {
            alt_names.ip(name);
        } else {
            alt_names.dns(name);
        }
    }
    alt_names
}

/// X.509 limits the common name to 64 characters; clients match on the alternative names anyway.
fn common_name(names: &[String]) -> &str {
    let first = names
        .first()
        .map_or("native-token-emulator", String::as_str);
    match first.char_indices().nth(64) {
        Some((end, _)) => &first[..end],
        None => first,
    }
}

fn random_serial() -> Result<Asn1Integer, ErrorStack> {
    let mut serial = BigNum::new()?;
    serial.rand(127, openssl::bn::MsbOption::MAYBE_ZERO, false)?;
    serial.to_asn1_integer()
}

fn unix_now() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_names_dns_and_ip_alternatives() {
        let names = [
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let generated = generate(&names).unwrap();
        let cert = X509::from_pem(&generated.cert_pem).unwrap();
        let alt_names = cert.subject_alt_names().unwrap();
        let dns: Vec<_> = alt_names.iter().filter_map(|n| n.dnsname()).collect();
        let ips: Vec<_> = alt_names.iter().filter_map(|n| n.ipaddress()).collect();
        assert_eq!(dns, ["localhost"]);
        assert_eq!(
            ips,
            [
                &[127, 0, 0, 1][..],
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1][..]
            ]
        );
        assert!(generated
            .key_pem
            .starts_with(b"-----BEGIN PRIVATE KEY-----"));
    }
}
