//! Test harness: starts the built emulator and talks to it with a tiny HTTP/1.1 client.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use native_token_emulator::launcher::Launched;
use openssl::ssl::{SslConnector, SslConnectorBuilder, SslMethod, SslStream, SslVerifyMode};
use serde_json::Value;

pub const TENANT: &str = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";
pub const JWT_BEARER_ENCODED: &str =
    "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";
pub const HELP_EXAMPLE_CODE: &str = "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo=";
/// Long enough for any normal answer on a loaded machine, short for a test that expects silence.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A running emulator, killed when dropped.
pub struct Emulator {
    process: Launched,
    pub dir: PathBuf,
}

impl Emulator {
    pub fn start(args: &[&str]) -> Emulator {
        let dir = unique_dir();
        let stderr = fs::File::create(dir.join("stderr.txt")).expect("create stderr file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_native-token-emulator"));
        command.args(args).stderr(stderr);
        Emulator {
            process: Launched::start(command, "emulator").unwrap_or_else(|e| panic!("{e}")),
            dir,
        }
    }

    /// The lines printed on stdout before and including `ready`.
    pub fn announcement(&self) -> &[String] {
        self.process.announcement()
    }

    /// The value of an announcement line such as `http: http://127.0.0.1:PORT`.
    pub fn announced(&self, key: &str) -> Option<&str> {
        self.process.announced(key)
    }

    pub fn http_port(&self) -> u16 {
        self.process.port("http").expect("http listener announced")
    }

    pub fn https_port(&self) -> u16 {
        self.process
            .port("https")
            .expect("https listener announced")
    }

    pub fn post(&self, path: &str, content_type: &str, body: &str) -> Response {
        let request = request_bytes(
            "POST",
            path,
            &[("Content-Type", content_type)],
            body.as_bytes(),
        );
        self.send(&request).response()
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post(path, JSON, &body.to_string())
    }

    pub fn get(&self, path: &str) -> Response {
        self.send(&request_bytes("GET", path, &[], b"")).response()
    }

    /// Armor's log-in with these JSON credentials (their keys as the caller writes them).
    pub fn armor_log_in(&self, credentials: &Value) -> Response {
        self.post_json("/auth/authorize", credentials)
    }

    /// Armor's token request for an authorization code.
    pub fn armor_token(&self, code: &str) -> Response {
        self.post_json(
            "/auth/token",
            &serde_json::json!({ "code": code, "grant_type": "authorization_code" }),
        )
    }

    /// Sends raw bytes over HTTP and collects whatever comes back until EOF, error or timeout.
    pub fn send(&self, request: &[u8]) -> Received {
        self.send_with_timeout(request, READ_TIMEOUT)
    }

    pub fn send_with_timeout(&self, request: &[u8], timeout: Duration) -> Received {
        let mut stream = TcpStream::connect(("127.0.0.1", self.http_port())).expect("connect");
        stream.set_read_timeout(Some(timeout)).expect("set timeout");
        stream.write_all(request).expect("send the request");
        read_until_closed(&mut stream)
    }

    /// A TLS client that trusts only the emulator's certificate (announced with `--cert-out`)
    /// and checks the server's name against it.
    pub fn tls_connector(&self) -> SslConnectorBuilder {
        let mut builder = SslConnector::builder(SslMethod::tls_client()).unwrap();
        builder
            .set_ca_file(self.announced("cert").expect("--cert-out announced"))
            .unwrap();
        builder.set_verify(SslVerifyMode::PEER);
        builder
    }

    /// A TLS connection to the HTTPS listener for `host`, with `tls_connector`.
    pub fn tls_connect(&self, host: &str) -> Result<SslStream<TcpStream>, String> {
        self.tls_connect_with(self.tls_connector(), host)
    }

    /// A TLS connection to the HTTPS listener for `host`, with this client.
    pub fn tls_connect_with(
        &self,
        client: SslConnectorBuilder,
        host: &str,
    ) -> Result<SslStream<TcpStream>, String> {
        let tcp = TcpStream::connect(("127.0.0.1", self.https_port())).expect("connect");
        tcp.set_read_timeout(Some(READ_TIMEOUT))
            .expect("set timeout");
        client.build().connect(host, tcp).map_err(|e| e.to_string())
    }

    pub fn requests_to(&self, route: &str) -> u64 {
        let stats = self.get("/_emulator/stats").json();
        stats["requests"][route]
            .as_u64()
            .unwrap_or_else(|| panic!("no count for {route} in {stats}"))
    }

    /// Sends SIGTERM and waits for the emulator to end.
    pub fn terminate(mut self) -> ExitStatus {
        self.process.terminate().expect("end the emulator")
    }

    pub fn stderr_text(&self) -> String {
        fs::read_to_string(self.dir.join("stderr.txt")).expect("read stderr")
    }
}

/// A path for a file no other test uses (tests run in parallel threads of one process, and in
/// several processes): `file` in a folder of its own.
pub fn unique_path(file: &str) -> PathBuf {
    unique_dir().join(file)
}

fn unique_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "emulator-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// Checks that `binary` refuses each argument list with exit status 2, nothing on stdout and a
/// message on stderr that starts with `program: `.
pub fn assert_rejects_arguments(binary: &str, program: &str, arg_lists: &[&[&str]]) {
    for args in arg_lists {
        let output = Command::new(binary)
            .args(*args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(&format!("{program}: ")),
            "{args:?}: {stderr}"
        );
    }
}

/// The usage `binary --help` prints (it must succeed).
pub fn help_of(binary: &str) -> String {
    let output = Command::new(binary).arg("--help").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// An HTTP/1.1 request that asks the server to close the connection after answering.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// What came back on a connection.
pub struct Received {
    pub bytes: Vec<u8>,
    /// How reading ended if not with a clean EOF (e.g. a timeout).
    pub error: Option<ErrorKind>,
}

impl Received {
    /// The complete response; panics if it is cut short.
    pub fn response(&self) -> Response {
        let response = self.partial_response();
        let length = response
            .header("content-length")
            .map(|v| v.parse::<usize>().unwrap());
        if let Some(length) = length {
            assert_eq!(
                response.body.len(),
                length,
                "body shorter than its Content-Length"
            );
        }
        response
    }

    /// Status, headers and whatever part of the body arrived.
    pub fn partial_response(&self) -> Response {
        let head_end = find(&self.bytes, b"\r\n\r\n").unwrap_or_else(|| {
            panic!(
                "no complete response head in {:?}",
                String::from_utf8_lossy(&self.bytes)
            )
        });
        let head = std::str::from_utf8(&self.bytes[..head_end]).expect("ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Response {
            status,
            headers,
            body: self.bytes[head_end + 4..].to_vec(),
        }
    }
}

pub fn read_until_closed(stream: &mut impl Read) -> Received {
    let mut bytes = Vec::new();
    let mut buffer = [0; 16 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Received { bytes, error: None },
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => {
                return Received {
                    bytes,
                    error: Some(error.kind()),
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `access_token` of a token answer.
    pub fn access_token(&self) -> String {
        let body = self.json();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {body}"))
            .to_owned()
    }

    /// The message of a TLSPC envelope `{"errors":[{"code","message","args"}]}`.
    pub fn envelope_message(&self) -> String {
        let body = self.json();
        assert_eq!(
            body["errors"][0]["code"], self.status,
            "envelope code in {body}"
        );
        assert!(
            body["errors"][0]["args"].is_array(),
            "envelope args in {body}"
        );
        body["errors"][0]["message"]
            .as_str()
            .expect("envelope message")
            .to_owned()
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn base64url(text: &str) -> String {
    base64::encode_config(text, base64::URL_SAFE_NO_PAD)
}

/// An unsigned-in-spirit JWT (the emulator does not verify signatures).
pub fn jwt(payload: &Value) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        base64url(r#"{"alg":"RS256","typ":"JWT"}"#),
        base64url(&payload.to_string())
    )
}

pub fn valid_jwt(sub: &str) -> String {
    jwt(&serde_json::json!({ "sub": sub, "exp": unix_now() + 600 }))
}

/// The form body of the TLSPC token request.
pub fn tlspc_form(jwt: &str) -> String {
    format!("grant_type=client_credentials&client_assertion_type={JWT_BEARER_ENCODED}&client_assertion={jwt}")
}

pub fn tlspc_path() -> String {
    format!("/v1/oauth2/v2.0/{TENANT}/token")
}
