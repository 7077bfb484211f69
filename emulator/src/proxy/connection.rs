//! One client connection of the proxy: any number of absolute-form requests passed on in
//! origin form (one upstream while their host:port stays the same, its answers copied straight
//! back by a second task), or one CONNECT tunnel; 400 and 502 answers of its own.

use std::io;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::line_log::LineLog;
use crate::net::connect_upstream;
use crate::proxy::head::{parse_head, Head, Target};
use crate::proxy::reader::RequestReader;

/// How long a refused client may go on sending before the proxy closes its connection.
const LINGER: Duration = Duration::from_secs(1);

/// Where a client connection stands.
enum Client {
    /// No upstream yet: the proxy holds the client's write half.
    Idle(OwnedWriteHalf),
    /// Requests go to this upstream, whose answers a task copies to the client.
    Forwarding(Upstream),
}

/// Serves one client connection: any number of absolute-form requests, or one CONNECT tunnel.
pub async fn serve(client: TcpStream, log: &LineLog) -> io::Result<()> {
    client.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let mut requests = RequestReader::new(client_read);
    let mut state = Client::Idle(client_write);
    loop {
        let next = match &mut state {
            Client::Idle(_) => requests.next_head().await,
            Client::Forwarding(upstream) => tokio::select! {
                next = requests.next_head() => next,
                // The upstream closed its side: so does the proxy, toward the client.
                writer = &mut upstream.answers => {
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
            Target::Tunnel => return tunnel(requests, writer_of(state).await?, &head, log).await,
            Target::Forward => {
                let mut upstream = match state {
                    // The same upstream while it is open (it may have closed an instant ago).
                    Client::Forwarding(upstream)
                        if upstream.authority == head.authority
                            && !upstream.answers.is_finished() =>
                    {
                        upstream
                    }
                    other => {
                        let writer = writer_of(other).await?;
                        match connect_or_502(&head, log).await {
                            Some(upstream) => Upstream::start(&head.authority, upstream, writer),
                            None => return refuse(requests, writer, "502 Bad Gateway").await,
                        }
                    }
                };
                log.line(&head.log_line());
                upstream.to_upstream.write_all(&head.origin_form()).await?;
                requests
                    .relay_body(head.body, &mut upstream.to_upstream)
                    .await?;
                state = Client::Forwarding(upstream);
            }
        }
    }
}

/// Answers a CONNECT: connects the upstream (502 if it cannot), then copies bytes both ways
/// until both sides are done; what the client sent right after its head goes first.
async fn tunnel(
    requests: RequestReader,
    writer: OwnedWriteHalf,
    head: &Head,
    log: &LineLog,
) -> io::Result<()> {
    let mut upstream = match connect_or_502(head, log).await {
        Some(upstream) => upstream,
        None => return refuse(requests, writer, "502 Bad Gateway").await,
    };
    log.line(&head.log_line());
    let (client_read, buffered) = requests.into_parts();
    let mut client = client_read
        .reunite(writer)
        .map_err(|e| io::Error::new(io::ErrorKind::Other, e))?;
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    upstream.write_all(&buffered).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// The client's write half, once any upstream has finished answering.
async fn writer_of(state: Client) -> io::Result<OwnedWriteHalf> {
    match state {
        Client::Idle(writer) => Ok(writer),
        Client::Forwarding(upstream) => upstream.finish().await,
    }
}

/// Connects to the request's upstream; on failure logs the request with the reason and returns
/// None (the caller answers 502).
async fn connect_or_502(head: &Head, log: &LineLog) -> Option<TcpStream> {
    let connected = connect_upstream(head.address.as_str())
        .await
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
    requests.discard_incoming(LINGER).await;
    Ok(())
}

/// An upstream connection serving a client's absolute-form requests.
struct Upstream {
    authority: String,
    to_upstream: OwnedWriteHalf,
    /// Copies the upstream's answers to the client until the upstream closes, then gives the
    /// client's write half back.
    answers: JoinHandle<OwnedWriteHalf>,
}

impl Upstream {
    fn start(authority: &str, upstream: TcpStream, mut client: OwnedWriteHalf) -> Upstream {
        let (mut from_upstream, to_upstream) = upstream.into_split();
        let answers = tokio::spawn(async move {
            // A failed copy means one side went away; the request loop sees that too.
            let _ = tokio::io::copy(&mut from_upstream, &mut client).await;
            client
        });
        Upstream {
            authority: authority.to_owned(),
            to_upstream,
            answers,
        }
    }

    /// Half-closes the upstream, lets its remaining answers reach the client, and gives the
    /// client's write half back.
    async fn finish(mut self) -> io::Result<OwnedWriteHalf> {
        let _ = self.to_upstream.shutdown().await;
        self.answers.await.map_err(io::Error::from)
    }
}
