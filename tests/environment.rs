//! The library reads nothing from the environment: the caller hands over timeout, proxy and
//! trusted CAs (the PowerShell module reads them from PowerShell's own environment, which
//! native code cannot see). Setting variables while other threads read the environment is
//! unsound, so this binary has one test, which sets them before anything else.

mod common;

use common::*;

#[test]
fn timeout_proxy_and_ca_variables_are_ignored() {
    // Nothing listens on a port that was just released: a proxy read from here would fail
    // every call; a timeout read from here would fail the delayed one.
    let nowhere = format!("http://127.0.0.1:{}", closed_port());
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        std::env::set_var(name, &nowhere);
    }
    std::env::set_var("NATIVETOKEN_TIMEOUT_SEC", "0.2");
    std::env::set_var("SSL_CERT_FILE", "/nonexistent/ca.pem");
    let emulator = Emulator::start();

    let token = vc_fetch_with_fault(&emulator, "delay=500", 0)
        .expect("direct, and within the default timeout");
    assert!(!token.trace.contains("proxy"), "{}", token.trace);
    let code = emulator.armor_code();
    armor_fetch(&emulator.http, &code, "authorization_code", 0).expect("direct");
}
