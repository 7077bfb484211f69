//! `native-token-emulator`: the TLS Protect Cloud and Armor token services on 127.0.0.1, over
//! HTTP and HTTPS, for the NativeToken tests and for offline script development.
//!
//! `cli.rs` reads the options; `run` starts the listeners (`server.rs`), which hand each
//! request to the `App` (`app.rs`: statistics, faults, dispatch, the log line). `routes.rs`
//! names every path it answers; the services themselves are `tlspc.rs` and `armor.rs`.

mod app;
mod armor;
mod cert;
pub mod cli;
mod faults;
mod idle;
mod issued;
mod random;
mod reply;
mod request;
mod request_log;
mod routes;
mod server;
mod tls;
mod tlspc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::net::listen_on_loopback;
use crate::program::{self, announce_and_serve};
use app::App;
use cli::Options;
use request_log::RequestLog;

/// `native-token-emulator`'s main.
pub fn main() -> ExitCode {
    program::main("native-token-emulator", cli::USAGE, cli::parse, run)
}

/// Starts the listeners, announces them on stdout and serves until SIGTERM or SIGINT.
pub async fn run(options: Options) -> Result<(), String> {
    let log = RequestLog::open(options.log_path.as_deref())
        .map_err(|e| format!("cannot open the log file: {e}"))?;
    let app = Arc::new(App::new(options.fault, options.keep_alive, log));
    let mut announcement = Vec::new();

    if let Some(port) = options.http_port {
        let (listener, address) = listen_on_loopback(port).await?;
        announcement.push(format!("http: http://{address}"));
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
        let acceptor = tls::acceptor(&certificate.cert_pem, &certificate.key_pem)?;
        let (listener, address) = listen_on_loopback(port).await?;
        announcement.push(format!("https: https://{address}"));
        tokio::spawn(server::serve_https(listener, acceptor, Arc::clone(&app)));
    }
    if let (Some(path), Some(certificate)) = (&options.cert_out, &certificate) {
        let written = write_certificate(path, &certificate.cert_pem)?;
        announcement.push(format!("cert: {}", written.display()));
    }
    announce_and_serve(announcement).await
}

/// Writes the PEM certificate and returns its absolute path, as announced to the caller.
fn write_certificate(path: &Path, pem: &[u8]) -> Result<PathBuf, String> {
    std::fs::write(path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::canonicalize(path).map_err(|e| format!("cannot resolve {}: {e}", path.display()))
}
