//! A call after the server closed the pooled connection (docs/ERRORS.md, "Retries"): it costs
//! a new connection, with no failed attempt and no back-off, whether the server closed the idle
//! connection with a TLS close_notify, a bare FIN or a reset; a close that crosses the request
//! gets one immediate resend on a new connection; an answer that broke off is never sent again.
//!
//! Each case has its own configuration, so its own lanes and pooled connections.

mod common;

use common::*;
use native_token::nt_result;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The emulator's keep-alive timeout in these tests, and how long a test waits past it.
const KEEPALIVE: &str = "0.2";
const IDLE_WAIT: Duration = Duration::from_millis(600);
/// The library's first back-off: a call that took this long may have waited it.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// A configuration trusting the emulator's certificate (its lanes serve plain HTTP as well).
fn own_config(emulator: &Emulator) -> TestConfig {
    TestConfig::trusting(&emulator.cert)
}

fn assert_no_back_off(trace: &str, took: Duration) {
    assert!(!trace.contains("retrying in"), "{trace}");
    assert!(took < FIRST_BACKOFF, "took {took:?}:\n{trace}");
}

/// Two calls with an idle pause between them, against an emulator closing idle connections
/// the `close` way.
fn call_after_idle(base: fn(&Emulator) -> String, close: &str) {
    let emulator = Emulator::start_with(&["--keepalive-timeout", KEEPALIVE, "--idle-close", close]);
    let config = own_config(&emulator);
    let endpoint = format!("{}/v1/oauth2/v2.0/{TENANT}/token", base(&emulator));
    let jwt = fresh_jwt();
    vc_fetch_with(config.0, std::ptr::null(), &endpoint, &jwt, 10_000).expect("first call");
    assert_eq!(emulator.requests(VC_ROUTE), 1);

    std::thread::sleep(IDLE_WAIT);
    let started = Instant::now();
    let token = vc_fetch_with(config.0, std::ptr::null(), &endpoint, &jwt, 10_000)
        .unwrap_or_else(|failure| panic!("{close}: the call after idle failed: {failure:?}"));
    let took = started.elapsed();

    assert_eq!(
        emulator.requests(VC_ROUTE),
        2,
        "{close}: one request for the call"
    );
    assert_eq!(
        token.trace.matches("attempt ").count(),
        1,
        "{close}: one attempt:\n{}",
        token.trace
    );
    assert_no_back_off(&token.trace, took);
    assert!(
        token.trace.contains(
            "the server had closed the connection kept from an earlier answer while it was idle; \
             the request went on a new connection"
        ),
        "{close}: the trace says what happened:\n{}",
        token.trace
    );
}

fn http_base(emulator: &Emulator) -> String {
    emulator.http.clone()
}

fn https_base(emulator: &Emulator) -> String {
    emulator.https.clone()
}

#[test]
fn after_idle_http_fin() {
    call_after_idle(http_base, "fin");
}

#[test]
fn after_idle_http_reset() {
    call_after_idle(http_base, "reset");
}

#[test]
fn after_idle_https_close_notify() {
    call_after_idle(https_base, "close-notify");
}

#[test]
fn after_idle_https_fin_without_close_notify() {
    call_after_idle(https_base, "fin");
}

#[test]
fn after_idle_https_reset() {
    call_after_idle(https_base, "reset");
}

#[test]
fn a_warm_connection_is_reused_without_a_note() {
    let emulator = Emulator::start();
    let config = own_config(&emulator);
    let endpoint = format!("{}/v1/oauth2/v2.0/{TENANT}/token", emulator.https);
    let jwt = fresh_jwt();
    for _ in 0..3 {
        let token =
            vc_fetch_with(config.0, std::ptr::null(), &endpoint, &jwt, 10_000).expect("a token");
        assert_eq!(token.trace.lines().count(), 1, "{}", token.trace);
    }
    assert_eq!(emulator.requests(VC_ROUTE), 3);
}

// ---------------------------------------------------------------------------------------------
// A scripted HTTP server, for closes at moments the emulator does not choose

/// What the server does with a request it read.
#[derive(Clone, Copy, Debug)]
enum Then {
    Answer,
    /// Closes the connection without answering (FIN).
    Close,
    /// Resets the connection without answering (SO_LINGER 0).
    Reset,
    /// Sends the first bytes of a response head, then closes.
    PartialHeadThenClose,
}

/// Serves connections on a thread each; `script(connection, request)` (both from 0) says what
/// to do with each request. Counts connections and requests read.
struct ScriptedServer {
    base: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl ScriptedServer {
    fn start(script: fn(usize, usize) -> Then) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (accepted, read) = (Arc::clone(&connections), Arc::clone(&requests));
        // Ends with the test process.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let stream = match stream {
                    Ok(stream) => stream,
                    Err(_) => return,
                };
                let connection = accepted.fetch_add(1, Ordering::SeqCst);
                let read = Arc::clone(&read);
                std::thread::spawn(move || serve(stream, connection, script, &read));
            }
        });
        ScriptedServer {
            base,
            connections,
            requests,
        }
    }

    fn endpoint(&self) -> String {
        format!("{}/v1/oauth2/v2.0/{TENANT}/token", self.base)
    }

    fn counts(&self) -> (usize, usize) {
        (
            self.connections.load(Ordering::SeqCst),
            self.requests.load(Ordering::SeqCst),
        )
    }
}

fn serve(
    stream: TcpStream,
    connection: usize,
    script: fn(usize, usize) -> Then,
    read: &AtomicUsize,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut stream = stream;
    for request in 0.. {
        if !read_request(&mut reader) {
            return;
        }
        read.fetch_add(1, Ordering::SeqCst);
        match script(connection, request) {
            Then::Answer => {
                let body =
                    r#"{"access_token":"scripted-token","token_type":"Bearer","expires_in":3600}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(answer.as_bytes()).is_err() {
                    return;
                }
            }
            Then::Close => return,
            Then::Reset => {
                let _ = socket_linger_zero(&stream);
                return;
            }
            Then::PartialHeadThenClose => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty");
                let _ = stream.flush();
                // Let the bytes arrive before the FIN.
                std::thread::sleep(Duration::from_millis(20));
                return;
            }
        }
    }
}

/// Makes closing `stream` send a reset.
fn socket_linger_zero(stream: &TcpStream) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let result = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Reads one request (head and Content-Length body); false at the end of the stream.
fn read_request(reader: &mut BufReader<TcpStream>) -> bool {
    let mut length = 0;
    let mut first = true;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if line == "\r\n" {
            break;
        }
        if first {
            first = false;
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().expect("a length");
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).is_ok()
}

/// The first call answered on a kept-alive connection; the second (`then`) on the same
/// connection; later requests (on new connections) answered.
fn second_request(then: Then) -> fn(usize, usize) -> Then {
    match then {
        Then::Close => |connection, request| match (connection, request) {
            (0, 1) => Then::Close,
            _ => Then::Answer,
        },
        Then::Reset => |connection, request| match (connection, request) {
            (0, 1) => Then::Reset,
            _ => Then::Answer,
        },
        Then::PartialHeadThenClose => |connection, request| match (connection, request) {
            (0, 1) => Then::PartialHeadThenClose,
            _ => Then::Answer,
        },
        Then::Answer => |_, _| Then::Answer,
    }
}

fn two_calls(server: &ScriptedServer) -> (Result<TokenView, Failure>, Duration) {
    let config = TestConfig::new(|_| {}).expect("a configuration");
    let jwt = fresh_jwt();
    vc_fetch_with(config.0, std::ptr::null(), &server.endpoint(), &jwt, 10_000)
        .expect("the first call");
    let started = Instant::now();
    let second = vc_fetch_with(config.0, std::ptr::null(), &server.endpoint(), &jwt, 10_000);
    (second, started.elapsed())
}

#[test]
fn a_close_that_crosses_the_request_gets_one_immediate_resend() {
    for then in [Then::Close, Then::Reset] {
        let server = ScriptedServer::start(second_request(then));
        let (second, took) = two_calls(&server);
        let token = second.unwrap_or_else(|failure| panic!("{then:?}: {failure:?}"));
        assert_no_back_off(&token.trace, took);
        let lines: Vec<&str> = token.trace.lines().collect();
        assert_eq!(lines.len(), 3, "{then:?}:\n{}", token.trace);
        assert!(
            lines[0].starts_with("attempt 1: POST ") && lines[0].contains("-> ConnectionReset"),
            "{then:?}:\n{}",
            token.trace
        );
        assert_eq!(
            lines[1],
            "the server had closed the connection kept from an earlier answer (no byte of an \
             answer came on it); sending again at once on a new connection"
        );
        assert!(lines[2].starts_with("attempt 2: POST ") && lines[2].contains("-> HTTP 200 OK"));
        // The first call's connection carried the first request and the crossed one; the
        // resend went on a second connection.
        assert_eq!(server.counts(), (2, 3), "{then:?}: (connections, requests)");
    }
}

#[test]
fn a_resend_happens_once() {
    // Every request after the first is closed unanswered: one immediate resend, then the
    // ordinary back-off retries for a connection closed before an answer.
    let server = ScriptedServer::start(|connection, request| match (connection, request) {
        (0, 0) => Then::Answer,
        _ => Then::Close,
    });
    let (second, _) = two_calls(&server);
    let failure = second.expect_err("every later request is closed unanswered");
    assert_eq!(failure.result, nt_result::NT_CONNECTION_RESET);
    assert_eq!(
        failure.trace.matches("sending again at once").count(),
        1,
        "{}",
        failure.trace
    );
    assert_eq!(
        failure.trace.matches("retrying in").count(),
        2,
        "{}",
        failure.trace
    );
}

#[test]
fn an_answer_that_broke_off_is_never_sent_again() {
    // On the kept connection ...
    let server = ScriptedServer::start(second_request(Then::PartialHeadThenClose));
    let (second, _) = two_calls(&server);
    let failure = second.expect_err("a broken answer is an error");
    assert_eq!(
        failure.result,
        nt_result::NT_CONNECTION_RESET,
        "{failure:?}"
    );
    assert!(
        failure
            .trace
            .ends_with("not sent again: the server had begun to answer when the connection broke"),
        "{}",
        failure.trace
    );
    assert_eq!(
        failure.trace.matches("attempt ").count(),
        1,
        "{}",
        failure.trace
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.counts(), (1, 2), "(connections, requests)");

    // ... and on a new connection.
    let server = ScriptedServer::start(|_, _| Then::PartialHeadThenClose);
    let config = TestConfig::new(|_| {}).expect("a configuration");
    let failure = vc_fetch_with(
        config.0,
        std::ptr::null(),
        &server.endpoint(),
        &fresh_jwt(),
        10_000,
    )
    .expect_err("a broken answer is an error");
    assert_eq!(failure.result, nt_result::NT_CONNECTION_RESET);
    assert!(!failure.trace.contains("retrying in"), "{}", failure.trace);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.counts(), (1, 1), "(connections, requests)");
}
