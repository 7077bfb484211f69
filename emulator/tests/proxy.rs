//! native-token-proxy: CONNECT tunnels, absolute-form requests in origin form, 502, keep-alive,
//! and a log with one line per request that holds no query and no secret.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use support::*;
use tokio_native_tls::native_tls;

const READ_TIMEOUT: Duration = Duration::from_secs(10);
const ESTABLISHED: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";

/// A running proxy, killed when dropped.
struct Proxy {
    process: Launched,
    port: u16,
    log_path: PathBuf,
}

impl Proxy {
    /// Starts the built proxy with a log file and waits for `ready`.
    fn start(name: &str) -> Proxy {
        let log_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("proxy-{name}-{}.log", std::process::id()));
        let _ = fs::remove_file(&log_path);
        let mut command = Command::new(env!("CARGO_BIN_EXE_native-token-proxy"));
        command.arg("--log").arg(&log_path).stderr(Stdio::null());
        let process = Launched::start(command, "proxy").unwrap_or_else(|e| panic!("{e}"));
        let lines = process.announcement();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let url = lines[0]
            .strip_prefix("proxy: http://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected announcement {lines:?}"));
        Proxy {
            port: url.parse().expect("port"),
            process,
            log_path,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the proxy");
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

/// Reads one response whose body has a Content-Length, leaving the connection open.
fn read_response(stream: &mut impl Read) -> Response {
    let mut bytes = Vec::new();
    let mut byte = [0];
    while !bytes.ends_with(b"\r\n\r\n") {
        let read = stream.read(&mut byte).expect("read a response head");
        assert_eq!(
            read,
            1,
            "connection closed in the response head: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.push(byte[0]);
    }
    let head = Received {
        bytes: bytes.clone(),
        error: None,
    }
    .partial_response();
    let length: usize = head
        .header("content-length")
        .expect("Content-Length")
        .parse()
        .unwrap();
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("read the body");
    bytes.extend_from_slice(&body);
    Received { bytes, error: None }.response()
}

/// An absolute-form POST of the TLSPC token request that keeps the connection open.
fn token_request(port: u16, query: &str, jwt: &str) -> Vec<u8> {
    let body = tlspc_form(jwt);
    format!(
        "POST http://127.0.0.1:{port}{}{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Proxy-Connection: keep-alive\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\n\r\n{body}",
        tlspc_path(),
        body.len()
    )
    .into_bytes()
}

/// A port on which nothing listens (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn connect_tunnels_bytes_both_ways() {
    let echo = TcpListener::bind("127.0.0.1:0").unwrap();
    let echo_port = echo.local_addr().unwrap().port();
    let echo_thread = thread::spawn(move || {
        let (mut stream, _) = echo.accept().unwrap();
        let mut buffer = [0; 1024];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => stream.write_all(&buffer[..n]).unwrap(),
            }
        }
    });
    let proxy = Proxy::start("tunnel");
    let mut stream = proxy.connect();
    // The first tunnelled bytes come in the same write as the CONNECT head.
    stream
        .write_all(
            format!("CONNECT 127.0.0.1:{echo_port} HTTP/1.1\r\nHost: 127.0.0.1:{echo_port}\r\n\r\nhello ")
                .as_bytes(),
        )
        .unwrap();
    let mut answer = vec![0; ESTABLISHED.len()];
    stream.read_exact(&mut answer).unwrap();
    assert_eq!(answer, ESTABLISHED);
    stream.write_all(b"world").unwrap();
    let mut echoed = [0; 11];
    stream.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"hello world");
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_until_closed(&mut stream).bytes, b"");
    echo_thread.join().unwrap();
    assert_eq!(proxy.log(), format!("CONNECT 127.0.0.1:{echo_port}\n"));
}

#[test]
fn connect_carries_tls_to_the_emulator() {
    let cert_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("proxy-emulator-{}.pem", std::process::id()));
    let emulator = Emulator::start(&["--no-http", "--cert-out", cert_path.to_str().unwrap()]);
    let proxy = Proxy::start("tls");
    let https_port = emulator.https_port();
    let mut stream = proxy.connect();
    stream
        .write_all(format!("CONNECT localhost:{https_port} HTTP/1.1\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = vec![0; ESTABLISHED.len()];
    stream.read_exact(&mut answer).unwrap();
    assert_eq!(answer, ESTABLISHED);

    let cert = native_tls::Certificate::from_pem(&fs::read(&cert_path).unwrap()).unwrap();
    let connector = native_tls::TlsConnector::builder()
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let mut tls = connector
        .connect("localhost", stream)
        .expect("TLS handshake through the tunnel");
    let body = tlspc_form(&valid_jwt("svc-tunnel"));
    let request = request_bytes(
        "POST",
        &tlspc_path(),
        &[("Content-Type", FORM)],
        body.as_bytes(),
    );
    tls.write_all(&request).unwrap();
    let response = read_response(&mut tls);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["token_type"], "Bearer");
    assert_eq!(proxy.log(), format!("CONNECT localhost:{https_port}\n"));
    let _ = fs::remove_file(cert_path);
}

#[test]
fn absolute_form_reaches_the_emulator_and_the_log_holds_no_query_or_secret() {
    let emulator = Emulator::start(&["--no-https"]);
    let proxy = Proxy::start("absolute");
    let port = emulator.http_port();
    let jwt = valid_jwt("svc-proxied");
    let mut stream = proxy.connect();
    stream
        .write_all(&token_request(port, "?secret=in-the-query", &jwt))
        .unwrap();
    let response = read_response(&mut stream);
    assert_eq!(response.status, 200, "{}", response.text());
    let access_token = response.access_token();
    drop(stream);

    let log = proxy.log();
    assert_eq!(
        log,
        format!("POST http://127.0.0.1:{port}/v1/oauth2/v2.0/{TENANT}/token\n")
    );
    let mut secrets: Vec<&str> = jwt.split('.').collect();
    secrets.extend(["in-the-query", "secret=", access_token.as_str()]);
    for secret in secrets {
        assert!(!log.contains(secret), "the log holds {secret:?}: {log}");
    }
    assert_eq!(emulator.requests_to("/v1/oauth2/v2.0/{tenant}/token"), 1);
}

#[test]
fn forwards_in_origin_form_without_proxy_headers() {
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_port = upstream.local_addr().unwrap().port();
    let (sender, received) = mpsc::channel();
    let upstream_thread = thread::spawn(move || {
        let (mut stream, _) = upstream.accept().unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let mut bytes = Vec::new();
        let mut buffer = [0; 1024];
        // Head and the 5-byte body.
        while bytes.len() < 5 || !bytes[..bytes.len() - 5].ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut buffer).unwrap();
            assert!(n > 0, "{:?}", String::from_utf8_lossy(&bytes));
            bytes.extend_from_slice(&buffer[..n]);
        }
        sender.send(bytes).unwrap();
        stream
            .write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
            .unwrap();
    });
    let proxy = Proxy::start("origin-form");
    let mut stream = proxy.connect();
    stream
        .write_all(
            format!(
                "PUT http://127.0.0.1:{upstream_port}/a/b?c=d HTTP/1.1\r\nHost: 127.0.0.1:{upstream_port}\r\n\
                 Proxy-Connection: keep-alive\r\nproxy-authorization: Basic dXNlcjpwYXNz\r\n\
                 X-Kept: yes\r\nContent-Length: 5\r\n\r\nhello"
            )
            .as_bytes(),
        )
        .unwrap();
    let forwarded = String::from_utf8(received.recv_timeout(READ_TIMEOUT).unwrap()).unwrap();
    assert_eq!(
        forwarded,
        format!(
            "PUT /a/b?c=d HTTP/1.1\r\nHost: 127.0.0.1:{upstream_port}\r\nX-Kept: yes\r\n\
             Content-Length: 5\r\n\r\nhello"
        )
    );
    let response = read_response(&mut stream);
    assert_eq!((response.status, response.text().as_str()), (201, "ok"));
    upstream_thread.join().unwrap();
    // The upstream closed: so does the proxy, toward the client.
    assert_eq!(read_until_closed(&mut stream).bytes, b"");
    assert_eq!(
        proxy.log(),
        format!("PUT http://127.0.0.1:{upstream_port}/a/b\n")
    );
}

#[test]
fn unreachable_upstream_gets_502_and_the_connection_closes() {
    let proxy = Proxy::start("502");
    let port = closed_port();
    for request in [
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n"),
        format!("GET http://127.0.0.1:{port}/x?code=secret HTTP/1.1\r\n\r\n"),
        format!("POST http://127.0.0.1:{port}/y HTTP/1.1\r\nContent-Length: 11\r\n\r\n"),
    ] {
        let mut stream = proxy.connect();
        stream.write_all(request.as_bytes()).unwrap();
        if request.starts_with("POST") {
            // The body comes a moment later: the proxy must not reset the connection on it.
            thread::sleep(Duration::from_millis(100));
            let _ = stream.write_all(b"code=secret");
        }
        let received = read_until_closed(&mut stream);
        assert_eq!(received.error, None);
        let response = received.response();
        assert_eq!(response.status, 502, "{request}");
        assert_eq!(response.header("connection"), Some("close"));
    }
    let log = proxy.log();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(
        lines[0].starts_with(&format!("CONNECT 127.0.0.1:{port} -> 502 Bad Gateway (")),
        "{log}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "GET http://127.0.0.1:{port}/x -> 502 Bad Gateway ("
        )),
        "{log}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "POST http://127.0.0.1:{port}/y -> 502 Bad Gateway ("
        )),
        "{log}"
    );
    assert!(!log.contains("secret"), "{log}");
}

#[test]
fn one_client_connection_carries_several_requests() {
    let emulator = Emulator::start(&["--no-https"]);
    let other = Emulator::start(&["--no-https"]);
    let proxy = Proxy::start("keep-alive");
    let (port, other_port) = (emulator.http_port(), other.http_port());
    let mut stream = proxy.connect();

    stream
        .write_all(&token_request(port, "", &valid_jwt("first")))
        .unwrap();
    let first = read_response(&mut stream);
    assert_eq!(first.status, 200, "{}", first.text());

    // The second request, chunked, on the same client connection and the same upstream.
    let body = tlspc_form(&valid_jwt("second"));
    let (part1, part2) = body.split_at(10);
    stream
        .write_all(
            format!(
                "POST http://127.0.0.1:{port}{} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
                 Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n\
                 {:x}\r\n{part1}\r\n{:x};ext=1\r\n{part2}\r\n0\r\n\r\n",
                tlspc_path(),
                part1.len(),
                part2.len()
            )
            .as_bytes(),
        )
        .unwrap();
    let second = read_response(&mut stream);
    assert_eq!(second.status, 200, "{}", second.text());
    assert_ne!(first.json()["access_token"], second.json()["access_token"]);

    // A third one to another host:port: the proxy switches upstreams on the same connection.
    stream
        .write_all(&token_request(other_port, "", &valid_jwt("third")))
        .unwrap();
    let third = read_response(&mut stream);
    assert_eq!(third.status, 200, "{}", third.text());

    let route = "/v1/oauth2/v2.0/{tenant}/token";
    assert_eq!(emulator.requests_to(route), 2);
    assert_eq!(other.requests_to(route), 1);
    let expected = |port| format!("POST http://127.0.0.1:{port}{}", tlspc_path());
    assert_eq!(
        proxy.log(),
        format!(
            "{}\n{}\n{}\n",
            expected(port),
            expected(port),
            expected(other_port)
        )
    );
    // Closing the client connection ends the exchange cleanly.
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_until_closed(&mut stream).bytes, b"");
}

#[test]
fn bad_requests_get_400() {
    let proxy = Proxy::start("400");
    for request in [
        "GET /origin-form HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET https://127.0.0.1:1/ HTTP/1.1\r\n\r\n",
        "CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
    ] {
        let mut stream = proxy.connect();
        stream.write_all(request.as_bytes()).unwrap();
        let response = read_until_closed(&mut stream).response();
        assert_eq!(response.status, 400, "{request}");
    }
    assert_eq!(proxy.log().lines().count(), 3, "{}", proxy.log());
}

#[test]
fn announces_and_ends_cleanly_on_sigterm() {
    let mut proxy = Proxy::start("sigterm");
    let status = proxy.process.terminate().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn help_and_bad_arguments() {
    let usage = help_of(env!("CARGO_BIN_EXE_native-token-proxy"));
    assert!(usage.starts_with("Usage: native-token-proxy [OPTIONS]") && usage.contains("--port N"));
    assert_rejects_arguments(
        env!("CARGO_BIN_EXE_native-token-proxy"),
        "native-token-proxy",
        &[&["--port", "x"], &["--bogus"], &["--log"]],
    );
}
