//! The servers the tests talk to: the emulator and the forward proxy as child processes, a
//! one-connection echo server, and a port nothing listens on.

use super::*;
use native_token_emulator::launcher::{self, Launched};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running emulator, killed (and its files removed) on drop.
pub struct Emulator {
    process: Launched,
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
        let dir = unique_temp_path("native-token-test", "");
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = std::fs::File::create(dir.join("emulator.log")).expect("log file");
        let mut command = Command::new(built("native-token-emulator"));
        command
            .arg("--cert-out")
            .arg(dir.join("cert.pem"))
            .args(extra_args)
            .stderr(log);
        let process = Launched::start(command, "emulator").unwrap_or_else(|e| {
            let log = std::fs::read_to_string(dir.join("emulator.log")).unwrap_or_default();
            let _ = std::fs::remove_dir_all(&dir);
            panic!("{e}; its log:\n{log}")
        });
        let announced = |key: &str| {
            process
                .announced(key)
                .unwrap_or_else(|| panic!("the emulator announced no {key}"))
                .to_owned()
        };
        Emulator {
            http: announced("http"),
            https: announced("https"),
            cert: PathBuf::from(announced("cert")),
            process,
            dir,
        }
    }

    /// The TLSPC token endpoint over HTTP.
    pub fn vc_endpoint(&self) -> String {
        self.vc_endpoint_for(TENANT)
    }

    /// The TLSPC token endpoint of `tenant` over HTTP.
    pub fn vc_endpoint_for(&self, tenant: &str) -> String {
        format!("{}/v1/oauth2/v2.0/{tenant}/token", self.http)
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
        // The emulator first: its certificate and log are in the folder.
        self.process.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running native-token-proxy (a forward proxy on loopback, built with the emulator),
/// killed on drop. It logs one line per proxied request (`CONNECT host:port` or
/// `POST http://host:port/path`) to its log file.
pub struct ForwardProxy {
    process: Launched,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    log: PathBuf,
}

impl ForwardProxy {
    pub fn start() -> ForwardProxy {
        let log = unique_temp_path("native-token-proxy", ".log");
        let mut command = Command::new(built("native-token-proxy"));
        command.arg("--log").arg(&log).stderr(Stdio::null());
        let process = Launched::start(command, "proxy").unwrap_or_else(|e| panic!("{e}"));
        let url = process
            .announced("proxy")
            .expect("the proxy announced its URL")
            .to_owned();
        ForwardProxy { process, url, log }
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
        self.process.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The path of `name`, a binary of the emulator's crate (built before the tests run).
fn built(name: &str) -> PathBuf {
    launcher::built_binary(name).unwrap_or_else(|e| panic!("{e}"))
}

/// A path in the temporary folder that no other helper of any test process has:
/// `<prefix>-<process id>-<count><suffix>`.
fn unique_temp_path(prefix: &str, suffix: &str) -> PathBuf {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "{prefix}-{}-{}{suffix}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::SeqCst)
    ))
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
