//! A TCP relay on 127.0.0.1 that makes a loopback server look far away: each direction is a
//! delay line of half the round-trip time, and each new connection waits one round trip before
//! its first byte leaves (what the TCP handshake costs a client), for the WAN lines of
//! tests/bench and for trying a script against a "distant" emulator or server.
//!
//! Each accepted connection gets one upstream connection and two delay lines. A line's reader
//! stamps every chunk with the moment it arrived and queues it; its writer sends each chunk when
//! its moment plus the delay has come. So bytes keep their order and leave as they came (a
//! request written in two pieces arrives in two pieces, each one delay later), never held back
//! until a whole message is in. An end of stream (FIN) travels the same line; a reset or an
//! error on one side resets the other.

use std::io::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

#[path = "../shutdown.rs"]
mod shutdown;
use shutdown::ShutdownSignals;

const USAGE: &str = "\
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

/// Largest chunk read at a time; a larger send leaves as several chunks with the same delay.
const CHUNK_BYTES: usize = 64 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How far ahead of a chunk's moment the relay stops sleeping and starts yielding (see wait_until).
const SPIN_WINDOW: Duration = Duration::from_millis(2);
/// How long data sent to a server that closed its side is watched for the reset it answers
/// with (loopback: well under this).
const RESET_WATCH: Duration = Duration::from_millis(200);
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
            eprintln!("native-token-relay: {message}\n(see --help)");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("native-token-relay: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Clone)]
struct Options {
    port: u16,
    listeners: u16,
    /// The added round-trip time.
    rtt: Duration,
    /// Resolved once at start, so a connection never waits for a resolver thread.
    upstream: SocketAddr,
}

/// Parses the arguments (without the program name); None asks for the help.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut port = 0u16;
    let mut listeners = 1u16;
    let mut rtt = None;
    let mut upstream = None;
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
                port = text
                    .parse()
                    .map_err(|_| format!("--port needs a port number 0-65535, not {text:?}"))?;
            }
            "--listeners" => {
                let text = value()?;
                listeners = text
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| format!("--listeners needs a number 1-1000, not {text:?}"))?;
            }
            "--rtt-ms" => {
                let text = value()?;
                let ms: u64 = text
                    .parse()
                    .ok()
                    .filter(|ms| *ms <= 60_000)
                    .ok_or_else(|| format!("--rtt-ms needs milliseconds 0-60000, not {text:?}"))?;
                rtt = Some(Duration::from_millis(ms));
            }
            "--upstream" => {
                let text = value()?;
                let address = text
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut addresses| addresses.next())
                    .ok_or_else(|| format!("--upstream needs HOST:PORT, not {text:?}"))?;
                upstream = Some(address);
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if port != 0 && listeners > 1 {
        return Err("--port goes with one listener only".into());
    }
    Ok(Some(Options {
        port,
        listeners,
        rtt: rtt.ok_or("--rtt-ms is required")?,
        upstream: upstream.ok_or("--upstream is required")?,
    }))
}

/// Listens, announces the addresses on stdout and serves until SIGTERM or SIGINT.
async fn run(options: Options) -> Result<(), String> {
    let mut announcement = String::new();
    for _ in 0..options.listeners {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        announcement.push_str(&format!("relay: {address}\n"));
        // Served until the process ends.
        tokio::spawn(accept_loop(listener, options.clone()));
    }
    // Handlers go in before "ready", so a signal sent right after it still ends the run cleanly.
    let shutdown =
        ShutdownSignals::register().map_err(|e| format!("cannot handle signals: {e}"))?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{announcement}ready")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    drop(stdout);
    shutdown.wait().await;
    Ok(())
}

async fn accept_loop(listener: TcpListener, options: Options) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                let accepted = Instant::now();
                let options = options.clone();
                tokio::spawn(async move { relay(client, accepted, &options).await });
            }
            Err(error) => {
                eprintln!("native-token-relay: accept failed: {error}");
                tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
            }
        }
    }
}

/// One client connection: connects the upstream and runs both delay lines until both ends are
/// closed, or resets both when either line breaks.
async fn relay(client: TcpStream, accepted: Instant, options: &Options) {
    let upstream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(options.upstream))
        .await
        .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()));
    let upstream = match upstream {
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

/// What one delay line knows about the closing of the upstream: the inbound line records the
/// upstream's FIN, the outbound line then watches for the reset a closed server answers data with.
struct Ends<'a> {
    /// Set when `from` has sent its end of stream.
    from_closed: Option<&'a AtomicBool>,
    /// Set when `to` has sent its end of stream (so data written to it may be answered by a reset).
    to_closed: Option<&'a AtomicBool>,
}

/// What travels a delay line, each with the moment it is due at the far end.
enum Item {
    Data(Vec<u8>),
    /// The sender closed its side (FIN).
    End,
    /// The sender's side was reset or failed.
    Reset,
}

/// Copies `from` to `to`: each chunk, the end of stream or a reset leaves `delay` after it
/// arrived, but not before `not_before` + `delay`. Ok once the end of stream was passed on; Err
/// when the line broke (a reset or error either side, passed on `delay` later) and both
/// connections are to be reset.
async fn delay_line(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    delay: Duration,
    not_before: Instant,
    ends: Ends<'_>,
) -> Result<(), ()> {
    let (queue, mut queued) = mpsc::unbounded_channel::<(Instant, Item)>();
    let reader = async move {
        let mut buffer = vec![0u8; CHUNK_BYTES];
        loop {
            let read = from.read(&mut buffer).await;
            let due = Instant::now().max(not_before) + delay;
            let item = match read {
                Ok(0) => Item::End,
                Ok(n) => Item::Data(buffer[..n].to_vec()),
                Err(_) => Item::Reset,
            };
            let last = !matches!(item, Item::Data(_));
            if let (Item::End, Some(closed)) = (&item, ends.from_closed) {
                closed.store(true, Ordering::SeqCst);
            }
            // The writer gone means it already broke the line: nothing left to carry.
            if queue.send((due, item)).is_err() || last {
                return Ok::<(), ()>(());
            }
        }
    };
    let writer = async move {
        while let Some((due, item)) = queued.recv().await {
            wait_until(due).await;
            let written = match item {
                Item::Data(bytes) => match to.write_all(&bytes).await {
                    Ok(()) => match ends.to_closed {
                        Some(closed) if closed.load(Ordering::SeqCst) => {
                            reset_after_close(to.as_ref()).await
                        }
                        _ => Ok(()),
                    },
                    Err(error) => Err(error),
                },
                Item::End => return to.shutdown().await.map_err(|_| ()),
                Item::Reset => return Err(()),
            };
            if written.is_err() {
                // The failure travels back to the sender as a reset would: one delay.
                tokio::time::sleep(delay).await;
                return Err(());
            }
        }
        Err(())
    };
    tokio::try_join!(reader, writer).map(|_| ())
}

/// Waits until `due`, to well under a millisecond. tokio's timer rounds a deadline up to the
/// next millisecond and the wake-up adds more: 1-1.5 ms late per direction, several percent of a
/// 40 ms round trip. So it sleeps until SPIN_WINDOW before, then yields until the moment.
async fn wait_until(due: Instant) {
    if let Some(early) = due.checked_sub(SPIN_WINDOW) {
        tokio::time::sleep_until(early).await;
    }
    while Instant::now() < due {
        tokio::task::yield_now().await;
    }
}

/// After data went to a server that had closed its side: Err when the server answers it with a
/// reset (a closed socket does), Ok when it has not within RESET_WATCH (it only half-closed).
async fn reset_after_close(stream: &TcpStream) -> io::Result<()> {
    let watch_until = Instant::now() + RESET_WATCH;
    while Instant::now() < watch_until {
        if let Some(error) = stream.take_error()? {
            return Err(error);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// Closes a connection with a reset (RST) instead of a FIN, once its halves are dropped.
fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}
