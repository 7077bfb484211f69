//! `native-token-proxy`: a forward HTTP proxy on 127.0.0.1, for the NativeToken proxy tests:
//! `CONNECT` tunnels and absolute-form `http://` requests, one log line per request without
//! query or body.
//!
//! Each client connection is served by one task (`connection.rs`). It reads the client's request
//! heads itself (`reader.rs`, parsed by `head.rs`) and passes each request on in origin form with
//! its body, while a second task copies whatever the upstream answers straight back to the
//! client. Requests on one connection share one upstream while their host:port stays the same.

pub mod cli;
mod connection;
mod head;
mod reader;

use std::process::ExitCode;
use std::sync::Arc;

use crate::line_log::LineLog;
use crate::net::{accept_each, listen_on_loopback};
use crate::program::{self, announce_and_serve};
use cli::Options;

/// `native-token-proxy`'s main.
pub fn main() -> ExitCode {
    program::main("native-token-proxy", cli::USAGE, cli::parse, run)
}

/// Listens, announces the address on stdout and serves until SIGTERM or SIGINT.
pub async fn run(options: Options) -> Result<(), String> {
    let log = Arc::new(
        LineLog::open(options.log_path.as_deref())
            .map_err(|e| format!("cannot open the log file: {e}"))?,
    );
    let (listener, address) = listen_on_loopback(options.port).await?;
    let failed = Arc::clone(&log);
    tokio::spawn(accept_each(
        listener,
        move |client| {
            let log = Arc::clone(&log);
            // Errors here are clients or upstreams going away: nothing to report.
            tokio::spawn(async move { connection::serve(client, &log).await });
        },
        move |error| failed.line(&format!("accept failed: {error}")),
    ));
    announce_and_serve(vec![format!("proxy: http://{address}")]).await
}
