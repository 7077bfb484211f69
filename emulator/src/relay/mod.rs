//! `native-token-relay`: a TCP relay on 127.0.0.1 that makes a loopback server look far away:
//! each direction is a delay line of half the round-trip time (`delay_line.rs`), and each new
//! connection waits one round trip before its first byte leaves (what the TCP handshake costs
//! a client), for the WAN lines of tests/bench and for trying a script against a "distant"
//! emulator or server.
//!
//! Each accepted connection gets one upstream connection and two delay lines. An end of stream
//! (FIN) travels its line; a reset or an error on one side resets the other.

pub mod cli;
mod delay_line;

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::net::{accept_each, connect_upstream, listen_on_loopback};
use crate::program::{self, announce_and_serve};
use cli::Options;
use delay_line::{delay_line, Ends};

/// `native-token-relay`'s main.
pub fn main() -> ExitCode {
    program::main("native-token-relay", cli::USAGE, cli::parse, run)
}

/// Listens, announces the addresses on stdout and serves until SIGTERM or SIGINT.
pub async fn run(options: Options) -> Result<(), String> {
    let mut announcement = Vec::new();
    for _ in 0..options.listeners {
        let (listener, address) = listen_on_loopback(options.port).await?;
        announcement.push(format!("relay: {address}"));
        let options = options.clone();
        tokio::spawn(accept_each(
            listener,
            move |client| {
                let accepted = Instant::now();
                let options = options.clone();
                tokio::spawn(async move { relay(client, accepted, &options).await });
            },
            |error| eprintln!("native-token-relay: accept failed: {error}"),
        ));
    }
    announce_and_serve(announcement).await
}

/// One client connection: connects the upstream and runs both delay lines until both ends are
/// closed, or resets both when either line breaks.
async fn relay(client: TcpStream, accepted: Instant, options: &Options) {
    let upstream = match connect_upstream(options.upstream).await {
        Ok(upstream) => upstream,
        Err(error) => {
            eprintln!(
                "native-token-relay: cannot connect {}: {error}",
                options.upstream
            );
            return reset(&client);
        }
    };
    // Nagle's algorithm would hold back a small piece behind an unacknowledged one: the relay
    // passes each piece on when its delay is over, as a wire would.
    if client.set_nodelay(true).is_err() || upstream.set_nodelay(true).is_err() {
        return reset(&client);
    }
    let half = options.rtt / 2;
    let upstream_closed = AtomicBool::new(false);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    // The client's connect() returned at once on loopback; over a WAN its first byte could only
    // leave once the handshake's round trip was over.
    let outbound = delay_line(
        &mut client_read,
        &mut upstream_write,
        half,
        accepted + options.rtt,
        Ends {
            from_closed: None,
            to_closed: Some(&upstream_closed),
        },
    );
    let inbound = delay_line(
        &mut upstream_read,
        &mut client_write,
        half,
        accepted,
        Ends {
            from_closed: Some(&upstream_closed),
            to_closed: None,
        },
    );
    if tokio::try_join!(outbound, inbound).is_err() {
        // One side was reset (or failed): so is the other, as through a real path. Forgetting
        // the write halves keeps their drop from sending a FIN before the reset.
        reset(client_read.as_ref());
        reset(upstream_read.as_ref());
        client_write.forget();
        upstream_write.forget();
    }
}

/// Closes a connection with a reset (RST) instead of a FIN, once its halves are dropped.
fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}
