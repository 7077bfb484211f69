//! native-token-relay's command line.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::args::{Args, Command};

pub const USAGE: &str = "\
Usage: native-token-relay --rtt-ms MS --upstream HOST:PORT [OPTIONS]

A TCP relay on 127.0.0.1 that adds round trips in front of a server: each direction is delayed
by half of MS (bytes keep their order and are passed on as they come: a delay line, not a store
of whole messages), and the first byte of each new connection leaves one more MS later (what a
TCP handshake costs). TLS passes through untouched: clients talk to the server itself.

Options:
  --rtt-ms MS           round-trip time to add, in milliseconds (0 passes bytes straight on)
  --upstream HOST:PORT  the server to relay to (connected once per client connection)
  --port N              port to listen on (default 0: a free port)
  --listeners N         listen on N free ports (default 1), all to the same upstream: a
                        client's connection pool sees N different hosts (for first calls)
  --help                show this help

On start it prints, then serves until SIGTERM or SIGINT:
  relay: 127.0.0.1:PORT      (one line per listener)
  ready

A client that closes its side (FIN) closes the upstream's one delay later, and the other way
round; a reset or an error on either side resets the other at once.
";

#[derive(Clone)]
pub struct Options {
    pub port: u16,
    pub listeners: u16,
    /// The added round-trip time.
    pub rtt: Duration,
    /// Resolved once at start, so a connection never waits for a resolver thread.
    pub upstream: SocketAddr,
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command<Options>, String> {
    let mut port = 0u16;
    let mut listeners = 1u16;
    let mut rtt = None;
    let mut upstream = None;
    let mut args = Args::new(args);
    while let Some(flag) = args.next_flag() {
        match flag.name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--port" => port = args.port(&flag)?,
            "--listeners" => {
                let text = args.value(&flag)?;
                listeners = text
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| format!("--listeners needs a number 1-1000, not {text:?}"))?;
            }
            "--rtt-ms" => {
                let text = args.value(&flag)?;
                let ms: u64 = text
                    .parse()
                    .ok()
                    .filter(|ms| *ms <= 60_000)
                    .ok_or_else(|| format!("--rtt-ms needs milliseconds 0-60000, not {text:?}"))?;
                rtt = Some(Duration::from_millis(ms));
            }
            "--upstream" => {
                let text = args.value(&flag)?;
                let address = text
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut addresses| addresses.next())
                    .ok_or_else(|| format!("--upstream needs HOST:PORT, not {text:?}"))?;
                upstream = Some(address);
            }
            _ => return Err(flag.unknown()),
        }
    }
    if port != 0 && listeners > 1 {
        return Err("--port goes with one listener only".into());
    }
    Ok(Command::Run(Options {
        port,
        listeners,
        rtt: rtt.ok_or("--rtt-ms is required")?,
        upstream: upstream.ok_or("--upstream is required")?,
    }))
}
