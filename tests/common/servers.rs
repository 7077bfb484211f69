//! The servers the tests talk to: the emulator and the forward proxy as child processes, a
//! one-connection echo server, and a port nothing listens on.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

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
        let binary = helper_binary("native-token-emulator", "the emulator");
        let dir = unique_temp_path("native-token-test", "");
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
        let ready = read_announcement(&mut emulator.child, |line| {
            if let Some(address) = line.strip_prefix("http: ") {
                emulator.http = address.to_owned();
            } else if let Some(address) = line.strip_prefix("https: ") {
                emulator.https = address.to_owned();
            } else if let Some(path) = line.strip_prefix("cert: ") {
                emulator.cert = PathBuf::from(path);
            }
        });
        if ready {
            return emulator;
        }
        let log = std::fs::read_to_string(emulator.dir.join("emulator.log")).unwrap_or_default();
        panic!("the emulator exited before it was ready; its log:\n{log}");
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
        let binary = helper_binary("native-token-proxy", "the proxy");
        let log = unique_temp_path("native-token-proxy", ".log");
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
        let ready = read_announcement(&mut proxy.child, |line| {
            if let Some(url) = line.strip_prefix("proxy: ") {
                proxy.url = url.to_owned();
            }
        });
        if ready {
            return proxy;
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

/// The path of `name`, a binary of the emulator's crate, which cargo builds beside the tests;
/// `what` names it in the message when it is not built.
fn helper_binary(name: &str, what: &str) -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/debug")
        .join(name);
    assert!(
        binary.exists(),
        "{what} is not built; build it first with: scripts/cargo build -p native-token-emulator"
    );
    binary
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

/// Reads what a helper process announces on its stdout, a line at a time to `on_line`, until
/// it says `ready` (true) or exits first (false).
fn read_announcement(child: &mut Child, mut on_line: impl FnMut(&str)) -> bool {
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    for line in stdout.lines() {
        let line = line.expect("the helper's stdout");
        if line == "ready" {
            return true;
        }
        on_line(&line);
    }
    false
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
