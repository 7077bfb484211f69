//! `--keepalive-timeout`: a connection left idle that long is closed, the way `--idle-close`
//! says (TLS close_notify, a bare FIN, or a reset); a request being served is never cut.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use openssl::ssl::{ErrorCode, ShutdownState, SslStream};
use support::*;

const TIMEOUT: &str = "0.2";
const IDLE: Duration = Duration::from_millis(200);

/// A keep-alive POST of a token request.
fn keep_alive_request() -> Vec<u8> {
    let body = tlspc_form(&valid_jwt("idle"));
    format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\n\r\n{body}",
        tlspc_path(),
        body.len()
    )
    .into_bytes()
}

/// Reads one response (head and its Content-Length body) and returns its status.
fn read_one_response(stream: &mut impl Read) -> u16 {
    let mut bytes = Vec::new();
    let mut byte = [0];
    while !bytes.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("a response head");
        bytes.push(byte[0]);
    }
    let head = String::from_utf8(bytes).expect("ASCII head");
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().expect("a length"))
        })
        .expect("Content-Length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the body");
    head.split(' ').nth(1).unwrap().parse().unwrap()
}

fn connect_http(emulator: &Emulator) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", emulator.http_port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

fn connect_https(emulator: &Emulator) -> SslStream<TcpStream> {
    emulator.tls_connect("127.0.0.1").expect("TLS")
}

fn start(close: Option<&str>) -> Emulator {
    let cert = unique_path("cert.pem");
    let mut args = vec![
        "--keepalive-timeout",
        TIMEOUT,
        "--cert-out",
        cert.to_str().unwrap(),
    ];
    if let Some(close) = close {
        args.extend(["--idle-close", close]);
    }
    Emulator::start(&args)
}

/// Serves one request on a kept-alive connection, then waits for the server to end it; returns
/// how reading ended and after how long.
fn idle_end_http(emulator: &Emulator) -> (Result<usize, ErrorKind>, Duration) {
    let mut stream = connect_http(emulator);
    stream.write_all(&keep_alive_request()).unwrap();
    assert_eq!(read_one_response(&mut stream), 200);
    let idle_from = Instant::now();
    let mut rest = [0; 64];
    let end = stream.read(&mut rest).map_err(|error| error.kind());
    (end, idle_from.elapsed())
}

#[test]
fn an_idle_http_connection_is_closed_after_the_timeout() {
    let emulator = start(None);
    let (end, after) = idle_end_http(&emulator);
    assert_eq!(end, Ok(0), "a FIN");
    assert!(
        after >= IDLE - Duration::from_millis(20) && after < Duration::from_secs(3),
        "{after:?}"
    );
    assert!(emulator
        .stderr_text()
        .contains("closing a connection idle for"));
}

#[test]
fn reset_mode_resets_the_idle_connection() {
    let emulator = start(Some("reset"));
    let (end, _) = idle_end_http(&emulator);
    assert_eq!(end, Err(ErrorKind::ConnectionReset));
}

#[test]
fn tls_idle_close_sends_close_notify_unless_told_otherwise() {
    for (mode, expect_close_notify) in [
        (None, true),
        (Some("close-notify"), true),
        (Some("fin"), false),
    ] {
        let emulator = start(mode);
        let mut stream = connect_https(&emulator);
        stream.write_all(&keep_alive_request()).unwrap();
        assert_eq!(read_one_response(&mut stream), 200);
        let mut rest = [0; 64];
        match stream.ssl_read(&mut rest) {
            Err(error) if error.code() == ErrorCode::ZERO_RETURN => {
                assert!(expect_close_notify, "{mode:?}: close_notify");
                assert!(stream.get_shutdown().contains(ShutdownState::RECEIVED));
            }
            Err(error) => {
                assert!(!expect_close_notify, "{mode:?}: {error}");
                assert!(!stream.get_shutdown().contains(ShutdownState::RECEIVED));
            }
            Ok(read) => panic!("{mode:?}: {read} more bytes"),
        }
    }
}

#[test]
fn tls_reset_mode_resets() {
    let emulator = start(Some("reset"));
    let mut stream = connect_https(&emulator);
    stream.write_all(&keep_alive_request()).unwrap();
    assert_eq!(read_one_response(&mut stream), 200);
    let mut rest = [0; 64];
    let error = stream.ssl_read(&mut rest).expect_err("a reset");
    let io = error.io_error().map(std::io::Error::kind);
    assert_eq!(io, Some(ErrorKind::ConnectionReset), "{error}");
}

#[test]
fn a_request_being_served_is_not_cut_and_the_clock_restarts_after_it() {
    let emulator = start(None);
    let mut stream = connect_http(&emulator);
    let slow = String::from_utf8(keep_alive_request()).unwrap().replacen(
        "/token ",
        "/token?fault=delay=500 ",
        1,
    );
    stream.write_all(slow.as_bytes()).unwrap();
    assert_eq!(
        read_one_response(&mut stream),
        200,
        "served past the timeout"
    );
    // Kept alive after it: a second request on the same connection within the timeout.
    std::thread::sleep(IDLE / 4);
    stream.write_all(&keep_alive_request()).unwrap();
    assert_eq!(read_one_response(&mut stream), 200);
    assert_eq!(emulator.requests_to("/v1/oauth2/v2.0/{tenant}/token"), 2);
}
