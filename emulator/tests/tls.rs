//! HTTPS: the handshake verifies against the written certificate, for the names it was made for.

mod support;

use std::io::Write;

use serde_json::json;
use support::*;

fn start_with_certificate(names: Option<&str>) -> Emulator {
    let cert = unique_path("cert.pem");
    let mut args = vec!["--no-http", "--cert-out", cert.to_str().unwrap()];
    if let Some(names) = names {
        args.extend(["--cert-names", names]);
    }
    Emulator::start(&args)
}

#[test]
fn https_serves_the_routes_with_a_certificate_for_localhost_and_loopback() {
    let emulator = start_with_certificate(None);
    for host in ["localhost", "127.0.0.1"] {
        let mut tls = emulator
            .tls_connect(host)
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        let body = json!({ "username": "u", "password": "p" }).to_string();
        tls.write_all(&request_bytes(
            "POST",
            "/auth/authorize",
            &[("Content-Type", JSON)],
            body.as_bytes(),
        ))
        .unwrap();
        let response = read_until_closed(&mut tls).response();
        assert_eq!(response.status, 200, "{}", response.text());
        assert!(response.json()["code"].is_string());
    }
    assert_eq!(requests_to_over_https(&emulator, "/auth/authorize"), 2);
}

#[test]
fn certificate_for_other_names_fails_verification_for_localhost() {
    let emulator = start_with_certificate(Some("example.test,10.9.8.7"));
    let error = emulator
        .tls_connect("localhost")
        .expect_err("handshake must fail");
    assert!(error.contains("certificate verify failed"), "{error}");
    assert!(emulator.tls_connect("example.test").is_ok());
    assert!(emulator.tls_connect("10.9.8.7").is_ok());
}

fn requests_to_over_https(emulator: &Emulator, route: &str) -> u64 {
    let mut tls = emulator.tls_connect("localhost").unwrap();
    tls.write_all(&request_bytes("GET", "/_emulator/stats", &[], b""))
        .unwrap();
    read_until_closed(&mut tls).response().json()["requests"][route]
        .as_u64()
        .unwrap()
}

#[test]
fn https_offers_tls_1_3_and_1_2_as_the_services_do() {
    let emulator = start_with_certificate(None);
    let tls = emulator.tls_connect("127.0.0.1").unwrap();
    assert_eq!(tls.ssl().version_str(), "TLSv1.3");
    // A client that stops at TLS 1.2 is still served.
    let mut client = emulator.tls_connector();
    client
        .set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
        .unwrap();
    let tls = emulator.tls_connect_with(client, "127.0.0.1").unwrap();
    assert_eq!(tls.ssl().version_str(), "TLSv1.2");
}
