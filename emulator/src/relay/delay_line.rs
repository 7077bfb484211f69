//! One direction of a relayed connection: a delay line. Its reader stamps every chunk with the
//! moment it arrived and queues it; its writer sends each chunk when its moment plus the delay
//! has come. So bytes keep their order and leave as they came (a request written in two pieces
//! arrives in two pieces, each one delay later), never held back until a whole message is in.
//! An end of stream (FIN) travels the same line; a reset or an error is passed on as a reset.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Largest chunk read at a time; a larger send leaves as several chunks with the same delay.
const CHUNK_BYTES: usize = 64 * 1024;
/// How far ahead of a chunk's moment the relay stops sleeping and starts yielding (see wait_until).
const SPIN_WINDOW: Duration = Duration::from_millis(2);
/// How long data sent to a server that closed its side is watched for the reset it answers
/// with (loopback: well under this).
const RESET_WATCH: Duration = Duration::from_millis(200);

/// What one delay line knows about the closing of the upstream: the inbound line records the
/// upstream's FIN, the outbound line then watches for the reset a closed server answers data with.
pub struct Ends<'a> {
    /// Set when `from` has sent its end of stream.
    pub from_closed: Option<&'a AtomicBool>,
    /// Set when `to` has sent its end of stream (so data written to it may be answered by a reset).
    pub to_closed: Option<&'a AtomicBool>,
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
pub async fn delay_line(
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
/// next millisecond and the wake-up adds more, which a short round trip notices in each
/// direction. So it sleeps until SPIN_WINDOW before, then yields until the moment.
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
