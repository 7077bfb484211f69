//! The library never writes the process environment. native-tls, left alone, exports the CA
//! paths it probes with setenv() before its first TLS connector when SSL_CERT_FILE/SSL_CERT_DIR
//! are unset; in a host such as pwsh that races every thread reading the environment. The
//! workspace patches that out (patches/openssl-probe). This binary has one test: it clears the
//! variables before any other thread exists.

mod common;

use common::*;

#[test]
fn tls_set_up_leaves_the_environment_alone() {
    std::env::remove_var("SSL_CERT_FILE");
    std::env::remove_var("SSL_CERT_DIR");
    let emulator = Emulator::start();
    let config = TestConfig::trusting(&emulator.cert);
    let endpoint = format!("{}/v1/oauth2/v2.0/{TENANT}/token", emulator.https);
    vc_fetch_with(config.0, std::ptr::null(), &endpoint, &fresh_jwt(), 10_000)
        .expect("a token over HTTPS");
    // The default configuration sets up TLS too.
    vc_fetch(&emulator.vc_endpoint(), &fresh_jwt(), 10_000).expect("a token over HTTP");
    assert_eq!(std::env::var_os("SSL_CERT_FILE"), None);
    assert_eq!(std::env::var_os("SSL_CERT_DIR"), None);
}
