//! native-token-relay: the round trips it adds (one per exchange, one more for a new
//! connection), bytes passed on as they come and in order, and a close or a reset carried
//! across. Against a loopback echo server in the test; the bounds leave room for a loaded
//! machine but not for one round trip too many.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use support::{assert_rejects_arguments, Launched};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RTT: Duration = Duration::from_millis(300);
/// Timers and a busy machine only ever add time; they may add this much.
const SLACK: Duration = Duration::from_millis(250);
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A running relay, killed when dropped.
struct Relay {
    /// The process (killed when dropped), held by the first Relay of a process with several
    /// listeners.
    _process: Option<Launched>,
    address: SocketAddr,
}

impl Relay {
    fn start(rtt: Duration, upstream: SocketAddr) -> Relay {
        Relay::start_with(rtt, upstream, 1).remove(0)
    }

    /// One relay process with `listeners` ports, returned as one Relay per port (the first one
    /// owns the process).
    fn start_with(rtt: Duration, upstream: SocketAddr, listeners: u16) -> Vec<Relay> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_native-token-relay"));
        command
            .args(["--rtt-ms", &rtt.as_millis().to_string()])
            .args(["--upstream", &upstream.to_string()])
            .args(["--listeners", &listeners.to_string()]);
        let process = Launched::start(command, "relay").unwrap_or_else(|e| panic!("{e}"));
        let lines = process.announcement().to_vec();
        assert_eq!(lines.len(), usize::from(listeners) + 1, "{lines:?}");
        let addresses: Vec<SocketAddr> = process
            .all_announced("relay")
            .map(|address| {
                address
                    .parse()
                    .unwrap_or_else(|_| panic!("unexpected announcement {lines:?}"))
            })
            .collect();
        assert_eq!(addresses.len(), usize::from(listeners), "{lines:?}");
        let mut process = Some(process);
        addresses
            .into_iter()
            .map(|address| Relay {
                _process: process.take(),
                address,
            })
            .collect()
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.address).expect("connect to the relay");
        stream.set_nodelay(true).unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream
    }
}

/// An echo server on loopback, in its own runtime: it sends back what it reads, closes on the
/// message `close` and resets the connection on `reset`.
fn start_echo_server() -> (SocketAddr, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                stream.set_nodelay(true).unwrap();
                let mut buffer = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buffer).await {
                    match &buffer[..n] {
                        [] | b"close" => return,
                        b"reset" => {
                            stream.set_linger(Some(Duration::ZERO)).unwrap();
                            return;
                        }
                        bytes => {
                            if stream.write_all(bytes).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    (address, runtime)
}

/// Writes `message` and reads its echo; returns how long that took.
fn exchange(stream: &mut TcpStream, message: &[u8]) -> Duration {
    let started = Instant::now();
    stream.write_all(message).unwrap();
    let mut echo = vec![0u8; message.len()];
    stream.read_exact(&mut echo).unwrap();
    assert_eq!(echo, message);
    started.elapsed()
}

/// A connection through a relay to an echo server, past its first exchange (the round trip a
/// new connection costs is behind it). The relay and the server live as long as it.
struct WarmConnection {
    stream: TcpStream,
    _relay: Relay,
    _server: tokio::runtime::Runtime,
}

fn warm_connection() -> WarmConnection {
    let (upstream, server) = start_echo_server();
    let relay = Relay::start(RTT, upstream);
    let mut stream = relay.connect();
    exchange(&mut stream, b"hello");
    WarmConnection {
        stream,
        _relay: relay,
        _server: server,
    }
}

/// Sends `message`, which the echo server answers by ending the connection, and reads to the
/// end; returns what reading came to and how long after the send it ended.
fn send_the_last(stream: &mut TcpStream, message: &[u8]) -> (std::io::Result<Vec<u8>>, Duration) {
    let started = Instant::now();
    stream.write_all(message).unwrap();
    let mut rest = Vec::new();
    let ended = stream.read_to_end(&mut rest).map(|_| rest);
    (ended, started.elapsed())
}

fn assert_within(what: &str, took: Duration, expected: Duration) {
    assert!(
        took >= expected - Duration::from_millis(5) && took < expected + SLACK,
        "{what} took {took:?}, expected {expected:?} (+ at most {SLACK:?})"
    );
}

#[test]
fn a_new_connection_costs_two_round_trips_and_a_warm_exchange_one() {
    let (upstream, _server) = start_echo_server();
    // Two listeners of one relay: two hosts to a client, each connection new.
    let relays = Relay::start_with(RTT, upstream, 2);
    for relay in &relays {
        let started = Instant::now();
        let mut stream = relay.connect();
        exchange(&mut stream, b"first");
        assert_within("connect and a first exchange", started.elapsed(), 2 * RTT);
        assert_within("a warm exchange", exchange(&mut stream, b"warm"), RTT);
    }
}

#[test]
fn bytes_pass_as_they_come_and_in_order() {
    let mut warm = warm_connection();
    let stream = &mut warm.stream;
    // Two pieces 150 ms apart come back 150 ms apart: a delay line, not a store of messages.
    let started = Instant::now();
    stream.write_all(b"one").unwrap();
    std::thread::sleep(RTT / 2);
    stream.write_all(b"two").unwrap();
    let mut piece = [0u8; 3];
    stream.read_exact(&mut piece).unwrap();
    let one = started.elapsed();
    assert_eq!(&piece, b"one");
    stream.read_exact(&mut piece).unwrap();
    let two = started.elapsed();
    assert_eq!(&piece, b"two");
    assert_within("the first piece", one, RTT);
    assert_within("the second piece", two, RTT + RTT / 2);
    assert!(
        two - one >= RTT / 2 - Duration::from_millis(5),
        "{one:?} {two:?}"
    );
    // Many small writes in a burst arrive whole and in order.
    let sent: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
    for chunk in sent.chunks(1000) {
        stream.write_all(chunk).unwrap();
    }
    let mut echoed = vec![0u8; sent.len()];
    stream.read_exact(&mut echoed).unwrap();
    assert!(echoed == sent, "the echo differs from what was sent");
}

#[test]
fn a_close_arrives_half_a_round_trip_later_and_data_after_it_is_reset() {
    let mut warm = warm_connection();
    let stream = &mut warm.stream;
    let (rest, took) = send_the_last(stream, b"close");
    assert!(rest.expect("an orderly end of stream").is_empty());
    assert_within("the server's close", took, RTT);
    // As from a real closed server: data sent now is answered with a reset.
    stream.write_all(b"late").unwrap();
    std::thread::sleep(RTT + SLACK);
    let error = stream.write_all(b"later").unwrap_err();
    assert!(
        matches!(
            error.kind(),
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
        ),
        "{error:?}"
    );
}

#[test]
fn a_reset_is_passed_on_as_a_reset() {
    let mut warm = warm_connection();
    let stream = &mut warm.stream;
    let (rest, took) = send_the_last(stream, b"reset");
    let error = rest.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error:?}");
    assert_within("the server's reset", took, RTT);
}

#[test]
fn bad_arguments_exit_with_status_2_and_a_message() {
    let upstream = ["--rtt-ms", "40", "--upstream", "127.0.0.1:1"];
    assert_rejects_arguments(
        env!("CARGO_BIN_EXE_native-token-relay"),
        "native-token-relay",
        &[
            &["--upstream", "127.0.0.1:1"],
            &["--rtt-ms", "40"],
            &["--rtt-ms", "fast", "--upstream", "127.0.0.1:1"],
            &["--rtt-ms", "40", "--upstream", "nowhere"],
            &[&upstream[..], &["--listeners", "0"]].concat(),
            &[&upstream[..], &["--listeners", "2", "--port", "9"]].concat(),
        ],
    );
}
