//! Closing keep-alive connections that stay idle, as real services do (nginx's
//! `keepalive_timeout`), in the way a test chooses: with a TLS close_notify, with a bare TCP FIN,
//! or with a reset.
//!
//! Only connections between requests count as idle: a request being served (a `delay` or `hang`
//! fault included) keeps its connection open.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How an idle connection is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdleClose {
    /// TLS close_notify, then FIN (over plain HTTP: FIN). What nginx does.
    CloseNotify,
    /// FIN without close_notify, as a server or middlebox that just closes the socket.
    Fin,
    /// RST (SO_LINGER 0), as a load balancer that drops its state.
    Reset,
}

impl IdleClose {
    pub fn parse(text: &str) -> Result<IdleClose, String> {
        match text {
            "close-notify" => Ok(IdleClose::CloseNotify),
            "fin" => Ok(IdleClose::Fin),
            "reset" => Ok(IdleClose::Reset),
            _ => Err(format!(
                "--idle-close needs close-notify, fin or reset, not {text:?}"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            IdleClose::CloseNotify => "close-notify",
            IdleClose::Fin => "fin",
            IdleClose::Reset => "reset",
        }
    }
}

/// How long a connection may stay idle, and how it is closed after that.
#[derive(Clone, Copy, Debug)]
pub struct KeepAlive {
    pub timeout: Duration,
    pub close: IdleClose,
}

/// Reads `--keepalive-timeout`'s seconds (fractions allowed, e.g. 0.3).
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let invalid = || format!("--keepalive-timeout needs seconds greater than 0, not {text:?}");
    let seconds: f64 = text.trim().parse().map_err(|_| invalid())?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        return Err(invalid());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A stream whose TCP socket can be reached, to make its close a reset.
pub trait OverTcp {
    fn tcp(&self) -> &TcpStream;
}

impl OverTcp for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl OverTcp for crate::services::tls::TlsStream {
    fn tcp(&self) -> &TcpStream {
        crate::services::tls::TlsStream::tcp(self)
    }
}

/// What a connection's watcher, its I/O and its requests share.
pub struct Activity {
    started: Instant,
    /// Microseconds after `started` of the last byte read or written.
    last_io_micros: AtomicU64,
    requests_in_flight: AtomicUsize,
    /// Set when the watcher closes the connection, so that the stream's shutdown closes it the
    /// chosen way.
    closing: AtomicBool,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            started: Instant::now(),
            last_io_micros: AtomicU64::new(0),
            requests_in_flight: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
        })
    }

    fn touch(&self) {
        let micros = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_io_micros.store(micros, Ordering::Relaxed);
    }

    fn last_io(&self) -> Instant {
        self.started + Duration::from_micros(self.last_io_micros.load(Ordering::Relaxed))
    }

    /// Counts a request as being served until the guard is dropped.
    pub fn request_started(self: &Arc<Self>) -> RequestGuard {
        self.requests_in_flight.fetch_add(1, Ordering::Relaxed);
        RequestGuard(Arc::clone(self))
    }

    /// When the connection will have been idle for `timeout`, if nothing happens before; None
    /// while a request is being served.
    pub fn idle_deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.requests_in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        Some(self.last_io() + timeout)
    }

    pub fn mark_closing(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }
}

pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.requests_in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection's stream, noting its activity, and closing the chosen way once the watcher
/// marked it closing.
pub struct Watched<I> {
    io: I,
    activity: Arc<Activity>,
    close: IdleClose,
}

impl<I> Watched<I> {
    pub fn new(io: I, activity: Arc<Activity>, close: IdleClose) -> Watched<I> {
        activity.touch();
        Watched {
            io,
            activity,
            close,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<I: AsyncWrite + OverTcp + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// hyper shuts the stream down before dropping it. For an idle close other than
    /// close-notify nothing is sent here: dropping the socket sends the FIN, or with SO_LINGER 0
    /// the reset.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.activity.closing.load(Ordering::Relaxed) {
            return Pin::new(&mut self.io).poll_shutdown(cx);
        }
        match self.close {
            IdleClose::CloseNotify => Pin::new(&mut self.io).poll_shutdown(cx),
            IdleClose::Fin => Poll::Ready(Ok(())),
            IdleClose::Reset => Poll::Ready(self.io.tcp().set_linger(Some(Duration::ZERO))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_fractions_and_refuse_nonsense() {
        assert_eq!(parse_timeout("0.3"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_timeout("5"), Ok(Duration::from_secs(5)));
        for bad in ["0", "-1", "abc", "NaN", "inf", ""] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn close_modes_by_name() {
        for mode in [IdleClose::CloseNotify, IdleClose::Fin, IdleClose::Reset] {
            assert_eq!(IdleClose::parse(mode.name()), Ok(mode));
        }
        assert!(IdleClose::parse("rst").is_err());
    }
}
