//! Requests through a proxy given in the configuration: plain http as absolute-form requests,
//! https through a CONNECT tunnel; a proxy that cannot be reached is a connection error that
//! names the proxy, never its password nor the call's secrets.

mod common;

use common::*;
use native_token::nt_result;
use std::ptr;

#[test]
fn http_goes_through_the_proxy_as_an_absolute_form_request() {
    let emulator = Emulator::start();
    let proxy = ForwardProxy::start();
    let config = TestConfig::with_proxy(&proxy.url);
    let jwt = fresh_jwt();

    let token = vc_fetch_with(config.0, ptr::null(), &emulator.vc_endpoint(), &jwt, 10_000)
        .expect("a token through the proxy");
    assert_eq!(token.endpoint, emulator.vc_endpoint());
    assert!(
        token
            .trace
            .contains(&format!("through the proxy {}", proxy.url)),
        "{}",
        token.trace
    );
    assert_eq!(proxy.log(), [format!("POST {}", emulator.vc_endpoint())]);
    assert_eq!(emulator.requests(VC_ROUTE), 1);

    // The default configuration in the same process goes direct.
    vc_fetch(&emulator.vc_endpoint(), &jwt, 10_000).expect("a direct token");
    assert_eq!(proxy.log().len(), 1);
}

#[test]
fn https_goes_through_a_connect_tunnel_with_end_to_end_tls() {
    let emulator = Emulator::start();
    let proxy = ForwardProxy::start();
    let cert = emulator.cert.to_str().unwrap().to_owned();
    let config = TestConfig::new(|builder| unsafe {
        let (url, url_len) = arg(&proxy.url);
        let (path, path_len) = arg(&cert);
        assert_eq!(
            native_token::nt_config_builder_set_proxy(builder, url, url_len),
            nt_result::NT_OK
        );
        assert_eq!(
            native_token::nt_config_builder_add_ca_file(builder, path, path_len),
            nt_result::NT_OK
        );
    })
    .expect("a configuration");
    let code = emulator.armor_code();
    armor_fetch_with(
        config.0,
        &emulator.https,
        &code,
        "authorization_code",
        10_000,
    )
    .expect("an Armor token through the tunnel");
    let authority = emulator.https.trim_start_matches("https://");
    assert_eq!(proxy.log(), [format!("CONNECT {authority}")]);
}

#[test]
fn an_unreachable_proxy_is_a_connection_error_naming_it() {
    let emulator = Emulator::start();
    let port = closed_port();
    let config = TestConfig::with_proxy(&format!("http://user:proxy-password@127.0.0.1:{port}"));
    let jwt = fresh_jwt();

    let failure =
        vc_fetch_with(config.0, ptr::null(), &emulator.vc_endpoint(), &jwt, 5_000).unwrap_err();
    assert_eq!(failure.result, nt_result::NT_CONNECT_FAILED);
    assert!(
        failure.message.starts_with(&format!(
            "could not connect to the proxy http://127.0.0.1:{port} (for {}",
            emulator.vc_endpoint()
        )),
        "{}",
        failure.message
    );
    assert_failure_has_no_secret(&failure, &[&jwt, "proxy-password", "user:"]);
    assert_eq!(emulator.requests(VC_ROUTE), 0);
}

#[test]
fn a_tunnel_the_proxy_cannot_open_is_a_connection_error_naming_it() {
    let proxy = ForwardProxy::start();
    let config = TestConfig::with_proxy(&proxy.url);
    let endpoint = format!(
        "https://127.0.0.1:{}/v1/oauth2/v2.0/{TENANT}/token",
        closed_port()
    );

    let failure = vc_fetch_with(config.0, ptr::null(), &endpoint, &fresh_jwt(), 5_000).unwrap_err();
    assert_kind(&failure, nt_result::NT_CONNECT_FAILED);
    assert!(
        failure.message.starts_with(&format!(
            "the proxy {} did not open a tunnel to {endpoint}",
            proxy.url
        )),
        "{}",
        failure.message
    );
}
