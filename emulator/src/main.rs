//! Local emulator of the TLS Protect Cloud and Armor token services, for the NativeToken tests
//! and for offline script development. Listens on 127.0.0.1 only.

mod armor;
mod cert;
mod cli;
mod faults;
mod idle;
mod issued;
mod logging;
mod random;
mod reply;
mod request;
mod server;
mod shutdown;
mod tls;
mod tlspc;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

use cli::{Command, Options};
use logging::RequestLog;
use server::App;
use shutdown::ShutdownSignals;

// One thread: on loopback a request is a few tens of microseconds of work, and handing it
// between worker threads cost more CPU than the work itself (measured by tests/bench: 96 -> 73 us
// of CPU per request). The emulator shares the machine's cores with the client it serves.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("native-token-emulator: {message}\n(see --help)");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("native-token-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the listeners, announces them on stdout and serves until SIGTERM or SIGINT.
async fn run(options: Options) -> Result<(), String> {
    let log = RequestLog::open(options.log_path.as_deref())
        .map_err(|e| format!("cannot open the log file: {e}"))?;
    let app = Arc::new(App::new(options.fault, options.keep_alive, log));
    let mut announcement = Vec::new();

    if let Some(port) = options.http_port {
        let listener = bind(port).await?;
        announcement.push(format!("http: http://{}", local_addr(&listener)?));
        tokio::spawn(server::serve_http(listener, Arc::clone(&app)));
    }
    // The certificate is made when something uses it: the HTTPS listener or --cert-out.
    let certificate = if options.https_port.is_some() || options.cert_out.is_some() {
        Some(
            cert::generate(&options.cert_names)
                .map_err(|e| format!("cannot create the certificate: {e}"))?,
        )
    } else {
        None
    };
    if let (Some(port), Some(certificate)) = (options.https_port, &certificate) {
        let acceptor = tls_acceptor(certificate)?;
        let listener = bind(port).await?;
        announcement.push(format!("https: https://{}", local_addr(&listener)?));
        tokio::spawn(server::serve_https(listener, acceptor, Arc::clone(&app)));
    }
    if let (Some(path), Some(certificate)) = (&options.cert_out, &certificate) {
        let written = write_certificate(path, &certificate.cert_pem)?;
        announcement.push(format!("cert: {}", written.display()));
    }
    // Handlers go in before "ready", so a signal sent right after it still ends the run cleanly.
    let shutdown =
        ShutdownSignals::register().map_err(|e| format!("cannot handle signals: {e}"))?;
    announcement.push("ready".to_owned());
    announce(&announcement)?;
    shutdown.wait().await;
    Ok(())
}

async fn bind(port: u16) -> Result<TcpListener, String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr, String> {
    listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))
}

fn tls_acceptor(certificate: &cert::SelfSigned) -> Result<openssl::ssl::SslAcceptor, String> {
    tls::acceptor(&certificate.cert_pem, &certificate.key_pem)
}

/// Writes the PEM certificate and returns its absolute path, as announced to the caller.
fn write_certificate(path: &Path, pem: &[u8]) -> Result<PathBuf, String> {
    std::fs::write(path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::canonicalize(path).map_err(|e| format!("cannot resolve {}: {e}", path.display()))
}

/// Prints the start-up lines in one flushed write, so a reader never sees half of them.
fn announce(lines: &[String]) -> Result<(), String> {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}
