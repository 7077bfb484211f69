//! Start-up announcement, command-line errors and shutdown.

mod support;

use support::*;

#[test]
fn announces_listeners_certificate_and_ready_in_order() {
    let cert_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("announce-{}.pem", std::process::id()));
    let emulator = Emulator::start(&["--cert-out", cert_path.to_str().unwrap()]);
    let keys: Vec<&str> = emulator
        .announcement()
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
        emulator.announcement().len(),
        2,
        "{:?}",
        emulator.announcement()
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
    assert_rejects_arguments(
        env!("CARGO_BIN_EXE_native-token-emulator"),
        "native-token-emulator",
        &[
            &["--no-http", "--no-https"],
            &["--fault", "teapot"],
            &["--http-port", "x"],
            &["--bogus"],
        ],
    );
}

#[test]
fn help_prints_usage_and_succeeds() {
    let usage = help_of(env!("CARGO_BIN_EXE_native-token-emulator"));
    assert!(usage.starts_with("Usage: native-token-emulator") && usage.contains("--fault SPEC"));
}

#[test]
fn the_launcher_finds_the_built_binaries_and_reports_an_early_exit() {
    for (name, built) in [
        (
            "native-token-emulator",
            env!("CARGO_BIN_EXE_native-token-emulator"),
        ),
        (
            "native-token-proxy",
            env!("CARGO_BIN_EXE_native-token-proxy"),
        ),
        (
            "native-token-relay",
            env!("CARGO_BIN_EXE_native-token-relay"),
        ),
    ] {
        let found = native_token_emulator::launcher::built_binary(name).unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            std::path::Path::new(built).canonicalize().unwrap()
        );
    }
    assert!(native_token_emulator::launcher::built_binary("no-such-helper").is_err());

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_native-token-emulator"));
    command.arg("--bogus").stderr(std::process::Stdio::null());
    let error = Launched::start(command, "emulator")
        .err()
        .expect("an emulator that exits at once is no launch");
    assert!(
        error
            .to_string()
            .starts_with("the emulator exited before ready"),
        "{error}"
    );
}
