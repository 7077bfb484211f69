//! A forward HTTP proxy on 127.0.0.1, for the NativeToken proxy tests: `CONNECT` tunnels and
//! absolute-form `http://` requests, one log line per request without query or body.
//!
//! Each client connection is served by one task. It reads the client's request heads itself and
//! passes each request on in origin form with its body (framed by Content-Length or chunked
//! coding), while a second task copies whatever the upstream answers straight back to the
//! client. Requests on one connection share one upstream while their host:port stays the same.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[path = "../shutdown.rs"]
mod shutdown;
use shutdown::ShutdownSignals;

const USAGE: &str = "\
Usage: native-token-proxy [OPTIONS]

A forward HTTP proxy on 127.0.0.1 for tests: tunnels `CONNECT host:port` and forwards
absolute-form requests (`POST http://host:port/path HTTP/1.1`) in origin form, without the
Proxy-Connection and Proxy-Authorization headers. An upstream that cannot be reached gets 502.

Options:
  --port N      port to listen on (default 0: a free port)
  --log PATH    also append the request log to PATH (it always goes to stderr)
  --help        show this help

On start it prints, then serves until SIGTERM or SIGINT:
  proxy: http://127.0.0.1:PORT
  ready

The log has one line per request: `CONNECT host:port` or `METHOD http://host:port/path` (never
the query or the body), with ` -> 502 Bad Gateway (reason)` added when the upstream could not be
reached.
";

/// A longer request head is refused (400).
const MAX_HEAD_BYTES: usize = 64 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a refused client may go on sending before the proxy closes its connection.
const LINGER: Duration = Duration::from_secs(1);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("native-token-proxy: {message}\n(see --help)");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("native-token-proxy: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    port: u16,
    log_path: Option<PathBuf>,
}

/// Parses the arguments (without the program name); None asks for the help.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 0,
        log_path: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value)),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline_value
                .map(str::to_owned)
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--port" => {
                let text = value()?;
                options.port = text
                    .parse()
                    .map_err(|_| format!("--port needs a port number 0-65535, not {text:?}"))?;
            }
            "--log" => options.log_path = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(options))
}

/// Listens, announces the address on stdout and serves until SIGTERM or SIGINT.
async fn run(options: Options) -> Result<(), String> {
    let log = Arc::new(
        Log::open(options.log_path.as_deref())
            .map_err(|e| format!("cannot open the log file: {e}"))?,
    );
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    // Handlers go in before "ready", so a signal sent right after it still ends the run cleanly.
    let shutdown =
        ShutdownSignals::register().map_err(|e| format!("cannot handle signals: {e}"))?;
    let mut stdout = io::stdout().lock();
    write!(stdout, "proxy: http://{address}\nready\n")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    drop(stdout);
    tokio::select! {
        () = accept_loop(listener, log) => {}
        () = shutdown.wait() => {}
    }
    Ok(())
}

async fn accept_loop(listener: TcpListener, log: Arc<Log>) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                let log = Arc::clone(&log);
                // Errors here are clients or upstreams going away: nothing to report.
                tokio::spawn(async move { serve(client, &log).await });
            }
            Err(error) => {
                log.line(&format!("accept failed: {error}"));
                tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
            }
        }
    }
}

/// Where a client connection stands.
enum Client {
    /// No upstream yet: the proxy holds the client's write half.
    Idle(OwnedWriteHalf),
    /// Requests go to this upstream, whose answers a task copies to the client.
    Relaying(Relay),
}

/// Serves one client connection: any number of absolute-form requests, or one CONNECT tunnel.
async fn serve(client: TcpStream, log: &Log) -> io::Result<()> {
    client.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let mut requests = RequestReader::new(client_read);
    let mut state = Client::Idle(client_write);
    loop {
        let next = match &mut state {
            Client::Idle(_) => requests.next_head().await,
            Client::Relaying(relay) => tokio::select! {
                next = requests.next_head() => next,
                // The upstream closed its side: so does the proxy, toward the client.
                writer = &mut relay.answers => {
                    let mut writer = writer.map_err(io::Error::from)?;
                    return writer.shutdown().await;
                }
            },
        };
        let head = match next.and_then(|head| head.map(|raw| parse_head(&raw)).transpose()) {
            Ok(Some(head)) => head,
            // The client is done: let the upstream finish answering, then close.
            Ok(None) => return writer_of(state).await?.shutdown().await,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                log.line(&format!("400 Bad Request: {error}"));
                let writer = writer_of(state).await?;
                return refuse(requests, writer, "400 Bad Request").await;
            }
            Err(error) => return Err(error),
        };
        match head.target {
            Target::Tunnel => {
                let writer = writer_of(state).await?;
                let Some(mut upstream) = connect_or_502(&head, log).await else {
                    return refuse(requests, writer, "502 Bad Gateway").await;
                };
                log.line(&head.log_line());
                let (client_read, buffered) = requests.into_parts();
                let mut client = client_read.reunite(writer).map_err(io::Error::other)?;
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await?;
                upstream.write_all(&buffered).await?;
                tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
                return Ok(());
            }
            Target::Forward => {
                let mut relay = match state {
                    // The same upstream while it is open (it may have closed an instant ago).
                    Client::Relaying(relay)
                        if relay.authority == head.authority && !relay.answers.is_finished() =>
                    {
                        relay
                    }
                    other => {
                        let writer = writer_of(other).await?;
                        match connect_or_502(&head, log).await {
                            Some(upstream) => Relay::start(&head.authority, upstream, writer),
                            None => return refuse(requests, writer, "502 Bad Gateway").await,
                        }
                    }
                };
                log.line(&head.log_line());
                relay.upstream.write_all(&head.origin_form()).await?;
                requests.relay_body(head.body, &mut relay.upstream).await?;
                state = Client::Relaying(relay);
            }
        }
    }
}

/// The client's write half, once any upstream has finished answering.
async fn writer_of(state: Client) -> io::Result<OwnedWriteHalf> {
    match state {
        Client::Idle(writer) => Ok(writer),
        Client::Relaying(relay) => relay.finish().await,
    }
}

/// Connects to the request's upstream; on failure logs the request with the reason and returns
/// None (the caller answers 502).
async fn connect_or_502(head: &Head, log: &Log) -> Option<TcpStream> {
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&head.address))
        .await
        .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")))
        .and_then(|upstream| upstream.set_nodelay(true).map(|()| upstream));
    match connected {
        Ok(upstream) => Some(upstream),
        Err(error) => {
            log.line(&format!("{} -> 502 Bad Gateway ({error})", head.log_line()));
            None
        }
    }
}

/// Answers with a short plain-text error of the proxy's own and closes the connection. It reads
/// what the client still sends for a moment first: closing a socket with unread data resets
/// the connection, and the client could lose the answer.
async fn refuse(
    mut requests: RequestReader,
    mut writer: OwnedWriteHalf,
    status: &str,
) -> io::Result<()> {
    let body = format!("native-token-proxy: {status}\n");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    writer.write_all(response.as_bytes()).await?;
    writer.shutdown().await?;
    let _ = tokio::time::timeout(LINGER, async {
        while let Ok(1..) = requests.fill().await {
            requests.buffered.clear();
        }
    })
    .await;
    Ok(())
}

/// An upstream connection serving a client's absolute-form requests.
struct Relay {
    authority: String,
    upstream: OwnedWriteHalf,
    /// Copies the upstream's answers to the client until the upstream closes, then gives the
    /// client's write half back.
    answers: JoinHandle<OwnedWriteHalf>,
}

impl Relay {
    fn start(authority: &str, upstream: TcpStream, mut client: OwnedWriteHalf) -> Relay {
        let (mut from_upstream, to_upstream) = upstream.into_split();
        let answers = tokio::spawn(async move {
            // A failed copy means one side went away; the request loop sees that too.
            let _ = tokio::io::copy(&mut from_upstream, &mut client).await;
            client
        });
        Relay {
            authority: authority.to_owned(),
            upstream: to_upstream,
            answers,
        }
    }

    /// Half-closes the upstream, lets its remaining answers reach the client, and gives the
    /// client's write half back.
    async fn finish(mut self) -> io::Result<OwnedWriteHalf> {
        let _ = self.upstream.shutdown().await;
        self.answers.await.map_err(io::Error::from)
    }
}

/// What a request asks the proxy to do.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Target {
    /// `CONNECT host:port`: a tunnel.
    Tunnel,
    /// An absolute-form `http://` request, forwarded in origin form.
    Forward,
}

/// How the request body is framed.
#[derive(Clone, Copy, PartialEq, Debug)]
enum BodyLength {
    Fixed(u64),
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
struct Head {
    target: Target,
    method: String,
    version: String,
    /// `host:port` as the client wrote it (without a port for `http://host/`).
    authority: String,
    /// What to connect to: the authority, with port 80 added if it had none.
    address: String,
    /// Path and query of an absolute-form request.
    path_and_query: String,
    /// The header lines to forward, as received.
    headers: Vec<Vec<u8>>,
    has_host: bool,
    body: BodyLength,
}

impl Head {
    /// The log line: never the query (nor the body, which the head does not hold).
    fn log_line(&self) -> String {
        match self.target {
            Target::Tunnel => format!("CONNECT {}", self.authority),
            Target::Forward => {
                let path = self.path_and_query.split('?').next().unwrap_or_default();
                format!("{} http://{}{path}", self.method, self.authority)
            }
        }
    }

    /// The request head as the upstream gets it.
    fn origin_form(&self) -> Vec<u8> {
        let mut bytes = format!(
            "{} {} {}\r\n",
            self.method, self.path_and_query, self.version
        )
        .into_bytes();
        if !self.has_host {
            bytes.extend_from_slice(format!("Host: {}\r\n", self.authority).as_bytes());
        }
        for line in &self.headers {
            bytes.extend_from_slice(line);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        bytes
    }
}

fn bad_request(reason: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

/// Parses a request head (request line and header lines, up to and including the blank line).
fn parse_head(raw: &[u8]) -> io::Result<Head> {
    let mut lines = raw
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty());
    let request_line = lines.next().unwrap_or_default();
    let request_line =
        std::str::from_utf8(request_line).map_err(|_| bad_request("request line is not ASCII"))?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_request("malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(bad_request("malformed method"));
    }
    if !version.starts_with("HTTP/1.") {
        return Err(bad_request("only HTTP/1.x is supported"));
    }
    // Visible ASCII only: the target goes into the log.
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad_request("malformed request target"));
    }
    let (kind, authority, path_and_query) = split_target(method, target)?;
    let address = if has_port(authority) {
        authority.to_owned()
    } else if kind == Target::Forward {
        format!("{authority}:80")
    } else {
        return Err(bad_request("CONNECT needs host:port"));
    };

    let mut head = Head {
        target: kind,
        method: method.to_owned(),
        version: version.to_owned(),
        authority: authority.to_owned(),
        address,
        path_and_query,
        headers: Vec::new(),
        has_host: false,
        body: BodyLength::Fixed(0),
    };
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| bad_request("malformed header line"))?;
        let name = std::str::from_utf8(&line[..colon])
            .ok()
            .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| bad_request("malformed header name"))?
            .to_ascii_lowercase();
        let value = String::from_utf8_lossy(&line[colon + 1..]);
        let value = value.trim();
        match name.as_str() {
            "proxy-connection" | "proxy-authorization" => continue,
            "host" => head.has_host = true,
            "content-length" => {
                let length: u64 = value
                    .parse()
                    .map_err(|_| bad_request("malformed Content-Length"))?;
                if content_length.is_some_and(|earlier| earlier != length) {
                    return Err(bad_request("conflicting Content-Length headers"));
                }
                content_length = Some(length);
            }
            "transfer-encoding" => {
                let last = value.rsplit(',').next().unwrap_or_default().trim();
                if !last.eq_ignore_ascii_case("chunked") {
                    return Err(bad_request("unsupported Transfer-Encoding"));
                }
                chunked = true;
            }
            _ => {}
        }
        head.headers.push(line.to_vec());
    }
    head.body = match (chunked, content_length) {
        (true, Some(_)) => return Err(bad_request("both Content-Length and Transfer-Encoding")),
        (true, None) => BodyLength::Chunked,
        (false, length) => BodyLength::Fixed(length.unwrap_or(0)),
    };
    Ok(head)
}

/// The kind of request, its authority and (absolute form) its path and query.
fn split_target<'a>(method: &str, target: &'a str) -> io::Result<(Target, &'a str, String)> {
    if method == "CONNECT" {
        return Ok((Target::Tunnel, target, String::new()));
    }
    let rest = target
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &target[7..])
        .ok_or_else(|| bad_request("the proxy takes CONNECT host:port or http:// URLs"))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(end);
    if authority.is_empty() || authority.contains('@') {
        return Err(bad_request("malformed authority"));
    }
    let path_and_query = match path_and_query.strip_prefix('?') {
        Some(query) => format!("/?{query}"),
        None if path_and_query.is_empty() => "/".to_owned(),
        None => path_and_query.to_owned(),
    };
    Ok((Target::Forward, authority, path_and_query))
}

/// Whether `host:port` (or `[v6]:port`) ends with a port.
fn has_port(authority: &str) -> bool {
    match authority.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && (host.starts_with('[') == host.ends_with(']'))
                && !port.is_empty()
                && port.parse::<u16>().is_ok()
        }
        None => false,
    }
}

/// Reads request heads and bodies from the client, keeping what arrived beyond them.
struct RequestReader {
    stream: OwnedReadHalf,
    buffered: Vec<u8>,
}

impl RequestReader {
    fn new(stream: OwnedReadHalf) -> Self {
        RequestReader {
            stream,
            buffered: Vec::new(),
        }
    }

    fn into_parts(self) -> (OwnedReadHalf, Vec<u8>) {
        (self.stream, self.buffered)
    }

    /// Reads more from the client; 0 at the end of its stream.
    async fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0; 16 * 1024];
        let read = self.stream.read(&mut chunk).await?;
        self.buffered.extend_from_slice(&chunk[..read]);
        Ok(read)
    }

    /// The next request head, blank line included; None if the client closed between requests.
    async fn next_head(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            // Blank lines before a request line are allowed (RFC 9112, section 2.2).
            let blank = self
                .buffered
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            self.buffered.drain(..blank);
            if let Some(end) = find(&self.buffered, b"\r\n\r\n") {
                return Ok(Some(self.buffered.drain(..end + 4).collect()));
            }
            if self.buffered.len() > MAX_HEAD_BYTES {
                return Err(bad_request("request head too large"));
            }
            if self.fill().await? == 0 {
                return match self.buffered.is_empty() {
                    true => Ok(None),
                    false => Err(io::ErrorKind::UnexpectedEof.into()),
                };
            }
        }
    }

    /// Passes the request body on to the upstream.
    async fn relay_body(&mut self, body: BodyLength, to: &mut OwnedWriteHalf) -> io::Result<()> {
        match body {
            BodyLength::Fixed(length) => self.relay_exact(length, to).await,
            BodyLength::Chunked => loop {
                let size_line = self.read_line().await?;
                to.write_all(&size_line).await?;
                let size = std::str::from_utf8(&size_line)
                    .ok()
                    .and_then(|line| line.split(';').next())
                    .and_then(|size| u64::from_str_radix(size.trim(), 16).ok())
                    .ok_or_else(|| bad_request("malformed chunk size"))?;
                if size == 0 {
                    // Trailer lines, up to and including the blank line.
                    loop {
                        let line = self.read_line().await?;
                        to.write_all(&line).await?;
                        if line == b"\r\n" || line == b"\n" {
                            return Ok(());
                        }
                    }
                }
                self.relay_exact(size + 2, to).await?; // the data and its CRLF
            },
        }
    }

    async fn relay_exact(&mut self, mut remaining: u64, to: &mut OwnedWriteHalf) -> io::Result<()> {
        while remaining > 0 {
            if self.buffered.is_empty() && self.fill().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let take = self
                .buffered
                .len()
                .min(usize::try_from(remaining).unwrap_or(usize::MAX));
            to.write_all(&self.buffered[..take]).await?;
            self.buffered.drain(..take);
            remaining -= take as u64;
        }
        Ok(())
    }

    /// One line, its line feed included.
    async fn read_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(end) = self.buffered.iter().position(|&b| b == b'\n') {
                return Ok(self.buffered.drain(..=end).collect());
            }
            if self.buffered.len() > MAX_HEAD_BYTES {
                return Err(bad_request("chunk line too long"));
            }
            if self.fill().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The request log: one line per request on stderr, and appended to a file when asked.
struct Log {
    file: Option<Mutex<File>>,
}

impl Log {
    fn open(path: Option<&Path>) -> io::Result<Self> {
        let file = match path {
            Some(path) => Some(Mutex::new(
                OpenOptions::new().create(true).append(true).open(path)?,
            )),
            None => None,
        };
        Ok(Log { file })
    }

    fn line(&self, line: &str) {
        eprintln!("{line}");
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A full disk must not take the proxy down; stderr still has the line.
            let _ = writeln!(file, "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> io::Result<Head> {
        parse_head(text.as_bytes())
    }

    #[test]
    fn absolute_form_becomes_origin_form_without_proxy_headers() {
        let head = head(
            "POST http://127.0.0.1:8080/v1/token?secret=x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
             Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic c2VjcmV0\r\n\
             Content-Length: 5\r\n\r\n",
        )
        .unwrap();
        assert_eq!(head.target, Target::Forward);
        assert_eq!(head.address, "127.0.0.1:8080");
        assert_eq!(head.body, BodyLength::Fixed(5));
        assert_eq!(head.log_line(), "POST http://127.0.0.1:8080/v1/token");
        assert_eq!(
            String::from_utf8(head.origin_form()).unwrap(),
            "POST /v1/token?secret=x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 5\r\n\r\n"
        );
    }

    #[test]
    fn missing_path_port_and_host_are_filled_in() {
        let head = head("GET http://example.test?q=1 HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(head.address, "example.test:80");
        assert_eq!(head.log_line(), "GET http://example.test/");
        assert_eq!(
            String::from_utf8(head.origin_form()).unwrap(),
            "GET /?q=1 HTTP/1.0\r\nHost: example.test\r\n\r\n"
        );
    }

    #[test]
    fn connect_names_host_and_port() {
        let head = head("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n").unwrap();
        assert_eq!(head.target, Target::Tunnel);
        assert_eq!(head.address, "[::1]:443");
        assert_eq!(head.log_line(), "CONNECT [::1]:443");
    }

    #[test]
    fn chunked_bodies_are_framed() {
        let head =
            head("POST http://h:1/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").unwrap();
        assert_eq!(head.body, BodyLength::Chunked);
    }

    #[test]
    fn refuses_what_it_cannot_forward() {
        for text in [
            "GET /origin-form HTTP/1.1\r\n\r\n",
            "GET https://h:1/ HTTP/1.1\r\n\r\n",
            "CONNECT host-without-port HTTP/1.1\r\n\r\n",
            "GET http://user@h:1/ HTTP/1.1\r\n\r\n",
            "GET http://h:1/ HTTP/2\r\n\r\n",
            "GET  http://h:1/ HTTP/1.1\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nNo colon\r\n\r\n",
        ] {
            let error = head(text).expect_err(text);
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{text}");
        }
    }

    #[test]
    fn arguments() {
        let parse = |args: &[&str]| parse_args(args.iter().map(|a| a.to_string()));
        let options = parse(&["--port=8080", "--log", "/tmp/x.log"])
            .unwrap()
            .unwrap();
        assert_eq!(options.port, 8080);
        assert_eq!(options.log_path, Some(PathBuf::from("/tmp/x.log")));
        assert!(parse(&["--help"]).unwrap().is_none());
        for bad in [&["--port", "70000"][..], &["--log"], &["--bogus"]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
