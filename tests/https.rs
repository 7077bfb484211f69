//! Calls over HTTPS: the emulator's self-signed certificate is trusted only by a configuration
//! that adds it (`nt_config_builder_add_ca_file` / `_add_ca_dir`), not by the default one, and
//! both kinds of call work side by side in one process.

mod common;

use common::*;
use native_token::nt_result;

#[test]
fn tokens_over_https_with_a_trusted_private_certificate() {
    let emulator = Emulator::start();
    let config = TestConfig::trusting(&emulator.cert);

    let jwt = fresh_jwt();
    let endpoint = format!("{}/v1/oauth2/v2.0/{TENANT}/token", emulator.https);
    let token = vc_fetch_with(config.0, std::ptr::null(), &endpoint, &jwt, 10_000)
        .expect("a TLSPC token over HTTPS");
    assert_eq!(
        (token.endpoint.as_str(), token.token_type.as_str()),
        (endpoint.as_str(), "Bearer")
    );
    assert_contains(&token.trace, "POST https://127.0.0.1:");

    // The certificate also names localhost.
    let by_name = endpoint.replace("127.0.0.1", "localhost");
    assert_eq!(
        vc_fetch_with(config.0, std::ptr::null(), &by_name, &jwt, 10_000)
            .expect("a token by name")
            .endpoint,
        by_name
    );

    let code = emulator.armor_code();
    let armor = armor_fetch_with(
        config.0,
        &emulator.https,
        &code,
        "authorization_code",
        10_000,
    )
    .expect("an Armor token over HTTPS");
    assert_eq!(armor.endpoint, format!("{}/auth/token", emulator.https));
    armor_reissue_with(config.0, &emulator.https, &armor.access_token, 10_000)
        .expect("a reissue over HTTPS");

    // The default configuration, in the same process, still does not trust it.
    let failure = vc_fetch(&endpoint, &jwt, 10_000).unwrap_err();
    assert_kind(&failure, nt_result::NT_TLS_FAILED);
    assert_eq!(emulator.requests(VC_ROUTE), 2);
}

#[test]
fn a_ca_directory_is_trusted_too() {
    let emulator = Emulator::start();
    let dir = emulator
        .cert
        .parent()
        .expect("the emulator's folder")
        .to_path_buf();
    let path = dir.to_str().expect("UTF-8").to_owned();
    let config = TestConfig::new(|builder| {
        let (path, len) = arg(&path);
        assert_eq!(
            unsafe { native_token::nt_config_builder_add_ca_dir(builder, path, len) },
            nt_result::NT_OK
        );
    })
    .expect("a configuration trusting the directory");
    let endpoint = format!("{}/v1/oauth2/v2.0/{TENANT}/token", emulator.https);
    vc_fetch_with(config.0, std::ptr::null(), &endpoint, &fresh_jwt(), 10_000)
        .expect("a token over HTTPS");
}

#[test]
fn unusable_ca_sources_are_refused_when_added() {
    let emulator = Emulator::start();
    let log = emulator.cert.with_file_name("emulator.log");
    for (path, expected) in [
        ("/nonexistent/ca.pem".to_owned(), "cannot be read"),
        (log.to_str().unwrap().to_owned(), "holds no PEM certificate"),
    ] {
        let failure = TestConfig::new(|builder| {
            let (p, len) = arg(&path);
            let result = unsafe { native_token::nt_config_builder_add_ca_file(builder, p, len) };
            let failure = take_failure(result);
            assert_eq!(failure.result, nt_result::NT_INVALID_ARGUMENT);
            assert_contains(&failure.message, &path);
            assert_contains(&failure.message, expected);
        });
        // The refused file left the builder as it was: it still builds.
        assert!(failure.is_ok());
    }
}
