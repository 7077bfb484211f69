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

/// A running native-token-proxy (a forward proxy on loopback, built with the emulator),
/// killed on drop. It logs one line per proxied request (`CONNECT host:port` or
/// `POST http://host:port/path`) to its log file.
pub struct ForwardProxy {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    log: PathBuf,
}

impl ForwardProxy {
    pub fn start() -> ForwardProxy {
        let binary =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/debug/native-token-proxy");
        assert!(
            binary.exists(),
            "the proxy is not built; build it first with: scripts/cargo build -p native-token-emulator"
        );
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let log = std::env::temp_dir().join(format!(
            "native-token-proxy-{}-{}.log",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::SeqCst)
        ));
        let child = Command::new(&binary)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the proxy starts");
        let mut proxy = ForwardProxy {
            child,
            url: String::new(),
            log,
        };
        let stdout = BufReader::new(proxy.child.stdout.take().expect("piped stdout"));
        for line in stdout.lines() {
            let line = line.expect("proxy stdout");
            if let Some(url) = line.strip_prefix("proxy: ") {
                proxy.url = url.to_owned();
            } else if line == "ready" {
                return proxy;
            }
        }
        panic!("the proxy exited before it was ready");
    }

    /// The request lines it has logged so far.
    pub fn log(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
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
    unsafe { nt_error_free(error) };
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
    unsafe { nt_token_free(token) };
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

/// A token call with the default configuration and no cancellation.
pub fn vc_fetch(endpoint: &str, jwt: &str, timeout_ms: u32) -> Result<TokenView, Failure> {
    vc_fetch_with(ptr::null(), ptr::null(), endpoint, jwt, timeout_ms)
}

/// A TLSPC token call with a configuration and a cancellation (either may be NULL).
pub fn vc_fetch_with(
    config: *const Config,
    cancel: *const Cancel,
    endpoint: &str,
    jwt: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
    token_call(|out| unsafe {
        nt_vc_token_fetch(
            config,
            endpoint,
            endpoint_len,
            jwt,
            jwt_len,
            timeout_ms,
            cancel,
            out,
        )
    })
}

pub fn armor_fetch(
    base_url: &str,
    code: &str,
    grant_type: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    armor_fetch_with(ptr::null(), base_url, code, grant_type, timeout_ms)
}

pub fn armor_fetch_with(
    config: *const Config,
    base_url: &str,
    code: &str,
    grant_type: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((base, base_len), (code, code_len), (grant, grant_len)) =
        (arg(base_url), arg(code), arg(grant_type));
    token_call(|out| unsafe {
        nt_armor_token_fetch(
            config,
            base,
            base_len,
            code,
            code_len,
            grant,
            grant_len,
            timeout_ms,
            ptr::null(),
            out,
        )
    })
}

pub fn armor_reissue(
    base_url: &str,
    access_token: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    armor_reissue_with(ptr::null(), base_url, access_token, timeout_ms)
}

pub fn armor_reissue_with(
    config: *const Config,
    base_url: &str,
    access_token: &str,
    timeout_ms: u32,
) -> Result<TokenView, Failure> {
    let ((base, base_len), (token, token_len)) = (arg(base_url), arg(access_token));
    token_call(|out| unsafe {
        nt_armor_token_reissue(
            config,
            base,
            base_len,
            token,
            token_len,
            timeout_ms,
            ptr::null(),
            out,
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Handles a test owns, freed when dropped

/// A configuration built through the exports: `TestConfig::new(|builder| ...)`.
pub struct TestConfig(pub *const Config);

impl TestConfig {
    /// Builds a configuration after `set` has called the builder's setters.
    pub fn new(set: impl FnOnce(*mut ConfigBuilder)) -> Result<TestConfig, Failure> {
        let mut builder = ptr::null_mut();
        assert_eq!(
            unsafe { nt_config_builder_new(&mut builder) },
            nt_result::NT_OK
        );
        set(builder);
        let mut config = ptr::null();
        match unsafe { nt_config_builder_build(builder, &mut config) } {
            nt_result::NT_OK => Ok(TestConfig(config)),
            failed => Err(take_failure(failed)),
        }
    }

    /// A configuration whose requests go through `proxy_url`.
    pub fn with_proxy(proxy_url: &str) -> TestConfig {
        TestConfig::new(|builder| {
            let (url, len) = arg(proxy_url);
            assert_eq!(
                unsafe { nt_config_builder_set_proxy(builder, url, len) },
                nt_result::NT_OK
            );
        })
        .expect("a configuration with a proxy")
    }

    /// A configuration that trusts the PEM file at `path`.
    pub fn trusting(path: &std::path::Path) -> TestConfig {
        let path = path.to_str().expect("a UTF-8 path").to_owned();
        TestConfig::new(|builder| {
            let (path, len) = arg(&path);
            assert_eq!(
                unsafe { nt_config_builder_add_ca_file(builder, path, len) },
                nt_result::NT_OK
            );
        })
        .expect("a configuration with a CA file")
    }
}

impl Drop for TestConfig {
    fn drop(&mut self) {
        unsafe { nt_config_free(self.0) };
    }
}

/// A cancellation, freed when dropped.
pub struct TestCancel(pub *mut Cancel);

// The handle is thread-safe by contract: it is triggered from another thread than the call.
unsafe impl Send for TestCancel {}
unsafe impl Sync for TestCancel {}

impl TestCancel {
    pub fn new() -> TestCancel {
        let mut cancel = ptr::null_mut();
        assert_eq!(unsafe { nt_cancel_new(&mut cancel) }, nt_result::NT_OK);
        TestCancel(cancel)
    }

    pub fn trigger(&self) {
        assert_eq!(unsafe { nt_cancel_trigger(self.0) }, nt_result::NT_OK);
    }

    /// The handle, for a call (a method, so that closures capture the whole thread-safe value).
    pub fn ptr(&self) -> *const Cancel {
        self.0
    }
}

impl Drop for TestCancel {
    fn drop(&mut self) {
        unsafe { nt_cancel_free(self.0) };
    }
}

/// A TLSPC session, freed when dropped.
pub struct TestSession(pub *mut VcSession);

unsafe impl Send for TestSession {}
unsafe impl Sync for TestSession {}

impl TestSession {
    pub fn new() -> TestSession {
        let mut session = ptr::null_mut();
        assert_eq!(unsafe { nt_vc_session_new(&mut session) }, nt_result::NT_OK);
        TestSession(session)
    }

    pub fn begin(&self, endpoint: &str, jwt: &str) -> Result<TokenView, Failure> {
        self.begin_with(ptr::null(), ptr::null(), endpoint, jwt, 10_000)
    }

    pub fn begin_with(
        &self,
        config: *const Config,
        cancel: *const Cancel,
        endpoint: &str,
        jwt: &str,
        timeout_ms: u32,
    ) -> Result<TokenView, Failure> {
        let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
        token_call(|out| unsafe {
            nt_vc_session_begin(
                self.0,
                config,
                endpoint,
                endpoint_len,
                jwt,
                jwt_len,
                timeout_ms,
                cancel,
                out,
            )
        })
    }

    pub fn refresh(&self) -> Result<TokenView, Failure> {
        token_call(|out| unsafe {
            nt_vc_session_refresh(self.0, ptr::null(), 10_000, ptr::null(), out)
        })
    }
}

impl Drop for TestSession {
    fn drop(&mut self) {
        unsafe { nt_vc_session_free(self.0) };
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
