//! Calls over HTTPS, trusting the emulator's self-signed certificate through SSL_CERT_FILE.
//! The variable is read when the library's HTTP client is created, i.e. on the first call in
//! the process, so this binary has one test that sets it before anything else.

mod common;

use common::*;

#[test]
fn tokens_over_https_with_a_trusted_private_certificate() {
    let emulator = Emulator::start();
    std::env::set_var("SSL_CERT_FILE", &emulator.cert);

    let jwt = fresh_jwt();
    let endpoint = format!("{}/v1/oauth2/v2.0/{TENANT}/token", emulator.https);
    let token = vc_fetch(&endpoint, &jwt, 10_000).expect("a TLSPC token over HTTPS");
    assert_eq!(
        (token.endpoint.as_str(), token.token_type.as_str()),
        (endpoint.as_str(), "Bearer")
    );
    assert!(
        token.trace.contains("POST https://127.0.0.1:"),
        "{}",
        token.trace
    );

    // The certificate also names localhost.
    let by_name = endpoint.replace("127.0.0.1", "localhost");
    assert_eq!(
        vc_fetch(&by_name, &jwt, 10_000)
            .expect("a token by name")
            .endpoint,
        by_name
    );

    let code = emulator.armor_code();
    let armor = armor_fetch(&emulator.https, &code, "authorization_code", 10_000)
        .expect("an Armor token over HTTPS");
    assert_eq!(armor.endpoint, format!("{}/auth/token", emulator.https));
    armor_reissue(&emulator.https, &armor.access_token, 10_000).expect("a reissue over HTTPS");
    assert_eq!(emulator.requests(VC_ROUTE), 2);
}
