//! Shared by the integration tests: the emulator as a child process, a JWT maker, and helpers
//! that call the exported functions the way a C caller does (raw pointers, explicit frees).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use native_token::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A tenant GUID, as in the TLSPC endpoint users copy.
pub const TENANT: &str = "2222c771-61f3-11ec-8a47-490a1e43c222";
/// Route names in the emulator's statistics.
pub const VC_ROUTE: &str = "/v1/oauth2/v2.0/{tenant}/token";
pub const ARMOR_TOKEN_ROUTE: &str = "/auth/token";
pub const ARMOR_REISSUE_ROUTE: &str = "/auth/token/reissue";

// ---------------------------------------------------------------------------------------------
// The emulator

/// A running emulator, killed (and its files removed) on drop.
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub http: String,
    /// `https://127.0.0.1:PORT`
    pub https: String,
    /// Its self-signed certificate (PEM).
    pub cert: PathBuf,
    dir: PathBuf,
}

impl Emulator {
    pub fn start() -> Emulator {
        Emulator::start_with(&[])
    }

    /// Starts the emulator with extra arguments (e.g. `["--fault", "hang"]`).
    pub fn start_with(extra_args: &[&str]) -> Emulator {
        let binary =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/debug/native-token-emulator");
        assert!(
            binary.exists(),
            "the emulator is not built; build it first with: scripts/cargo build -p native-token-emulator"
        );
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "native-token-test-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = std::fs::File::create(dir.join("emulator.log")).expect("log file");
        let child = Command::new(&binary)
            .arg("--cert-out")
            .arg(dir.join("cert.pem"))
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the emulator starts");
        // Owned from here on, so that a panic below still kills it (in drop).
        let mut emulator = Emulator {
            child,
            http: String::new(),
            https: String::new(),
            cert: PathBuf::new(),
            dir,
        };
        let stdout = BufReader::new(emulator.child.stdout.take().expect("piped stdout"));
        for line in stdout.lines() {
            let line = line.expect("emulator stdout");
            if let Some(address) = line.strip_prefix("http: ") {
                emulator.http = address.to_owned();
            } else if let Some(address) = line.strip_prefix("https: ") {
                emulator.https = address.to_owned();
            } else if let Some(path) = line.strip_prefix("cert: ") {
                emulator.cert = PathBuf::from(path);
            } else if line == "ready" {
                return emulator;
            }
        }
        let log = std::fs::read_to_string(emulator.dir.join("emulator.log")).unwrap_or_default();
        panic!("the emulator exited before it was ready; its log:\n{log}");
    }

    /// The TLSPC token endpoint over HTTP.
    pub fn vc_endpoint(&self) -> String {
        format!("{}/v1/oauth2/v2.0/{TENANT}/token", self.http)
    }

    /// The TLSPC token endpoint over HTTP with a per-request fault.
    pub fn vc_endpoint_with_fault(&self, fault: &str) -> String {
        format!("{}?fault={fault}", self.vc_endpoint())
    }

    /// Requests received per route.
    pub fn requests(&self, route: &str) -> u64 {
        let (status, body) = http_exchange(&self.http, "GET", "/_emulator/stats", "");
        assert_eq!(status, 200, "stats: {body}");
        let stats: serde_json::Value = serde_json::from_str(&body).expect("stats are JSON");
        stats["requests"][route]
            .as_u64()
            .unwrap_or_else(|| panic!("no route {route} in {body}"))
    }

    /// Logs in to the emulated Armor and returns a fresh authorization code.
    pub fn armor_code(&self) -> String {
        let (status, body) = http_exchange(
            &self.http,
            "POST",
            "/auth/authorize",
            r#"{"username":"user","password":"secret"}"#,
        );
        assert_eq!(status, 200, "authorize: {body}");
        let answer: serde_json::Value =
            serde_json::from_str(&body).expect("authorize answer is JSON");
        answer["code"].as_str().expect("a code").to_owned()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 exchange over a fresh connection, for the emulator's helper routes.
fn http_exchange(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to the emulator");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status");
    (status, body.to_owned())
}

/// A one-connection server that answers 401 with the request body inside an OAuth error, as a
/// careless service might; for checking that echoed secrets are redacted.
pub struct EchoServer {
    pub base: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    pub fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let thread = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            echo_once(stream);
        });
        EchoServer {
            base,
            thread: Some(thread),
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn echo_once(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("head");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().expect("length");
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).expect("body");
    let echoed = serde_json::json!({
        "error": "invalid_client",
        "error_description": format!("rejected {}", String::from_utf8_lossy(&body)),
    })
    .to_string();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{echoed}",
        echoed.len()
    )
    .expect("answer");
}

/// A port on which nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

// ---------------------------------------------------------------------------------------------
// JWTs

pub fn now_unix_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// A JWT whose payload has `exp` and a unique marker subject (so that each test's JWT is a
/// distinct secret to look for in messages).
pub fn jwt_expiring_at(exp: i64) -> String {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let marker = format!(
        "marker-jwt-{}-{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::SeqCst)
    );
    let encode = |json: String| base64::encode_config(json, base64::URL_SAFE_NO_PAD);
    format!(
        "{}.{}.{}",
        encode(r#"{"alg":"RS256","typ":"JWT"}"#.to_owned()),
        encode(format!(r#"{{"sub":"{marker}","exp":{exp}}}"#)),
        encode(format!("signature-of-{marker}"))
    )
}

/// A JWT valid for an hour.
pub fn fresh_jwt() -> String {
    jwt_expiring_at(now_unix_s() + 3600)
}

// ---------------------------------------------------------------------------------------------
// Calling the exports

/// Pointer and length of a Rust string, as a C caller passes them.
pub fn arg(text: &str) -> (*const u8, usize) {
    (text.as_ptr(), text.len())
}

/// Copies a borrowed (pointer, length) string out.
///
/// # Safety
/// `ptr` must point to `len` readable bytes.
pub unsafe fn copy_text(ptr: *const u8, len: usize) -> String {
    assert!(!ptr.is_null(), "returned strings are never NULL");
    String::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()).expect("UTF-8")
}

/// A failed call, as read through the error API.
#[derive(Debug)]
pub struct Failure {
    pub result: nt_result,
    pub status: u16,
    pub message: String,
    pub trace: String,
}

/// Reads one text field of an error.
fn error_text(
    error: *const Error,
    getter: unsafe extern "C" fn(*const Error, *mut *const u8, *mut usize) -> nt_result,
) -> String {
    let (mut ptr, mut len) = (ptr::null(), 0);
    assert_eq!(
        unsafe { getter(error, &mut ptr, &mut len) },
        nt_result::NT_OK
    );
    unsafe { copy_text(ptr, len) }
}

/// Takes this thread's last error after a call returned `result` (not OK), checks that its
/// kind matches, reads it and frees it.
pub fn take_failure(result: nt_result) -> Failure {
    assert_ne!(result, nt_result::NT_OK, "the call was expected to fail");
    let error = nt_error_take_last();
    assert!(!error.is_null(), "a failed call leaves a last error");
    let (mut kind, mut status) = (u32::MAX, u16::MAX);
    unsafe {
        assert_eq!(nt_error_kind(error, &mut kind), nt_result::NT_OK);
        assert_eq!(nt_error_http_status(error, &mut status), nt_result::NT_OK);
    }
    assert_eq!(
        kind, result as u32,
        "the error's kind is the result returned"
    );
    let failure = Failure {
        result,
        status,
        message: error_text(error, nt_error_message),
        trace: error_text(error, nt_error_trace),
    };
    assert!(!failure.message.is_empty(), "every error has a message");
    assert_eq!(unsafe { nt_error_free(error) }, nt_result::NT_OK);
    assert!(
        nt_error_take_last().is_null(),
        "the last error is taken once"
    );
    failure
}

/// Everything a token handle says.
#[derive(Debug, Clone)]
pub struct TokenView {
    pub access_token: String,
    pub token_type: String,
    pub scope: String,
    pub id_token: String,
    pub endpoint: String,
    pub jwt: String,
    pub response_json: String,
    pub trace: String,
    pub expires_in: i64,
    pub expires_at_unix_ms: i64,
}

type TextGetter = unsafe extern "C" fn(*const Token, *mut *const u8, *mut usize) -> nt_result;

fn token_text(token: *const Token, getter: TextGetter) -> String {
    let (mut ptr, mut len) = (ptr::null(), 0);
    assert_eq!(
        unsafe { getter(token, &mut ptr, &mut len) },
        nt_result::NT_OK
    );
    unsafe { copy_text(ptr, len) }
}

fn token_number(
    token: *const Token,
    getter: unsafe extern "C" fn(*const Token, *mut i64) -> nt_result,
) -> i64 {
    let mut value = i64::MIN;
    assert_eq!(unsafe { getter(token, &mut value) }, nt_result::NT_OK);
    value
}

/// Reads every field of a token, then frees it.
pub fn consume_token(token: *mut Token) -> TokenView {
    let view = TokenView {
        access_token: token_text(token, nt_token_access_token),
        token_type: token_text(token, nt_token_token_type),
        scope: token_text(token, nt_token_scope),
        id_token: token_text(token, nt_token_id_token),
        endpoint: token_text(token, nt_token_endpoint),
        jwt: token_text(token, nt_token_jwt),
        response_json: token_text(token, nt_token_response_json),
        trace: token_text(token, nt_token_trace),
        expires_in: token_number(token, nt_token_expires_in),
        expires_at_unix_ms: token_number(token, nt_token_expires_at_unix_ms),
    };
    assert_eq!(unsafe { nt_token_free(token) }, nt_result::NT_OK);
    view
}

/// Runs a call that hands out a token through its last argument. On failure checks that the
/// out-pointer was left untouched and returns the error.
pub fn token_call(call: impl FnOnce(*mut *mut Token) -> nt_result) -> Result<TokenView, Failure> {
    let untouched = NonNull::<Token>::dangling().as_ptr();
    let mut token = untouched;
    let result = call(&mut token);
    if result == nt_result::NT_OK {
        assert!(
            !token.is_null() && token != untouched,
            "NT_OK writes the out-pointer"
        );
        Ok(consume_token(token))
    } else {
        assert_eq!(
            token, untouched,
            "a failed call leaves the out-pointer untouched"
        );
        Err(take_failure(result))
    }
}

pub fn vc_fetch(endpoint: &str, jwt: &str, timeout_ms: u32) -> Result<TokenView, Failure> {
    let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
    token_call(|out| unsafe {
        nt_vc_token_fetch(endpoint, endpoint_len, jwt, jwt_len, timeout_ms, out)
    })
}

pub fn armor_fetch(
    base_url: &str,
    code: &str,
    grant_type: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((base, base_len), (code, code_len), (grant, grant_len)) =
        (arg(base_url), arg(code), arg(grant_type));
    token_call(|out| unsafe {
        nt_armor_token_fetch(
            base, base_len, code, code_len, grant, grant_len, timeout_ms, out,
        )
    })
}

pub fn armor_reissue(
    base_url: &str,
    access_token: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((base, base_len), (token, token_len)) = (arg(base_url), arg(access_token));
    token_call(|out| unsafe {
        nt_armor_token_reissue(base, base_len, token, token_len, timeout_ms, out)
    })
}

/// Reads and frees an owned string handed out by the session store.
pub fn consume_string(text: *mut Secret) -> String {
    let (mut ptr, mut len) = (ptr::null(), 0);
    assert_eq!(
        unsafe { nt_string_get(text, &mut ptr, &mut len) },
        nt_result::NT_OK
    );
    let copy = unsafe { copy_text(ptr, len) };
    assert_eq!(unsafe { nt_string_free(text) }, nt_result::NT_OK);
    copy
}

/// Runs a call that hands out a string, like [`token_call`].
pub fn string_call(call: impl FnOnce(*mut *mut Secret) -> nt_result) -> Result<String, Failure> {
    let untouched = NonNull::<Secret>::dangling().as_ptr();
    let mut text = untouched;
    let result = call(&mut text);
    if result == nt_result::NT_OK {
        Ok(consume_string(text))
    } else {
        assert_eq!(
            text, untouched,
            "a failed call leaves the out-pointer untouched"
        );
        Err(take_failure(result))
    }
}

/// Asserts that none of `secrets` (nor a long piece of one) appears in `text`.
pub fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "a secret leaked into: {text}");
        // A JWT's payload part alone identifies it too.
        for part in secret.split('.').filter(|part| part.len() >= 16) {
            assert!(!text.contains(part), "part of a secret leaked into: {text}");
        }
    }
}

/// The failure's message and trace hold none of `secrets`.
pub fn assert_failure_has_no_secret(failure: &Failure, secrets: &[&str]) {
    assert_no_secret(&failure.message, secrets);
    assert_no_secret(&failure.trace, secrets);
}
