//! Sockets as the three binaries use them: listeners on 127.0.0.1, an accept loop that survives
//! a failed accept, and connections to an upstream with a time limit.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

/// How long connecting to an upstream may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Listens on 127.0.0.1:`port` (0: a free port); returns the listener and its address.
pub async fn listen_on_loopback(port: u16) -> Result<(TcpListener, SocketAddr), String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    Ok((listener, address))
}

/// Hands every accepted connection to `accepted`, for as long as the process runs; a failed
/// accept goes to `failed`, then the loop pauses.
pub async fn accept_each(
    listener: TcpListener,
    mut accepted: impl FnMut(TcpStream),
    failed: impl Fn(&io::Error),
) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => accepted(stream),
            Err(error) => {
                failed(&error);
                tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
            }
        }
    }
}

/// Connects to `address`, failing with `TimedOut` ("timed out") after CONNECT_TIMEOUT.
pub async fn connect_upstream(address: impl ToSocketAddrs) -> io::Result<TcpStream> {
    tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")))
}
