//! Start-up announcement, command-line errors and shutdown.

mod support;

use std::process::{Command, Stdio};

use support::*;

#[test]
fn announces_listeners_certificate_and_ready_in_order() {
    let cert_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("announce-{}.pem", std::process::id()));
    let emulator = Emulator::start(&["--cert-out", cert_path.to_str().unwrap()]);
    let keys: Vec<&str> = emulator
        .announcement
        .iter()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(keys, ["http", "https", "cert", "ready"]);
    assert!(emulator
        .announced("http")
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert!(emulator
        .announced("https")
        .unwrap()
        .starts_with("https://127.0.0.1:"));
    assert_ne!(emulator.http_port(), 0);
    let announced_cert = std::path::Path::new(emulator.announced("cert").unwrap());
    assert!(announced_cert.is_absolute());
    assert!(std::fs::read_to_string(announced_cert)
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let _ = std::fs::remove_file(cert_path);
}

#[test]
fn disabled_listener_is_not_announced() {
    let emulator = Emulator::start(&["--no-https"]);
    assert_eq!(
        emulator.announcement.len(),
        2,
        "{:?}",
        emulator.announcement
    );
    assert!(emulator.announced("https").is_none());
}

#[test]
fn sigterm_right_after_ready_ends_the_run_cleanly() {
    let emulator = Emulator::start(&["--no-https"]);
    let status = emulator.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn bad_arguments_exit_with_status_2_and_a_message() {
    for args in [
        &["--no-http", "--no-https"][..],
        &["--fault", "teapot"],
        &["--http-port", "x"],
        &["--bogus"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_native-token-emulator"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).starts_with("native-token-emulator: "),
            "{args:?}"
        );
    }
}

#[test]
fn help_prints_usage_and_succeeds() {
    let output = Command::new(env!("CARGO_BIN_EXE_native-token-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let usage = String::from_utf8(output.stdout).unwrap();
    assert!(usage.starts_with("Usage: native-token-emulator") && usage.contains("--fault SPEC"));
}
