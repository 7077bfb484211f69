//! The HTTPS listener's TLS: OpenSSL with TLS 1.3 and 1.2, as the real services offer.
//!
//! Not native-tls: its OpenSSL acceptor turns TLS 1.3 off, and a TLS 1.2 handshake costs one
//! round trip more, which the benchmark's WAN lines count. (rustls would refuse the IP-address
//! SNI that OpenSSL clients send for https://127.0.0.1.) OpenSSL's stream works on blocking
//! `Read`/`Write`; `AllowStd` lends it the async socket for one poll at a time, turning
//! `Pending` into `WouldBlock`, as tokio-native-tls does.

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use openssl::pkey::PKey;
use openssl::ssl::{ErrorCode, Ssl, SslAcceptor, SslMethod, SslStream};
use openssl::x509::X509;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// An acceptor for TLS 1.3 and 1.2 (Mozilla's intermediate profile) with this certificate.
pub fn acceptor(cert_pem: &[u8], key_pem: &[u8]) -> Result<SslAcceptor, String> {
    let cert = X509::from_pem(cert_pem).map_err(|e| format!("cannot load the certificate: {e}"))?;
    let key = PKey::private_key_from_pem(key_pem)
        .map_err(|e| format!("cannot load the certificate's key: {e}"))?;
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    builder
        .set_certificate(&cert)
        .and_then(|()| builder.set_private_key(&key))
        .and_then(|()| builder.check_private_key())
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    Ok(builder.build())
}

/// A server-side TLS connection over a tokio socket.
pub struct TlsStream(SslStream<AllowStd>);

/// Runs the server side of the handshake on `tcp`.
pub async fn accept(acceptor: &SslAcceptor, tcp: TcpStream) -> io::Result<TlsStream> {
    let ssl = Ssl::new(acceptor.context()).map_err(io::Error::other_from)?;
    let stream = SslStream::new(
        ssl,
        AllowStd {
            inner: tcp,
            context: std::ptr::null_mut(),
        },
    )
    .map_err(io::Error::other_from)?;
    let mut stream = TlsStream(stream);
    Handshake(&mut stream).await?;
    Ok(stream)
}

impl TlsStream {
    pub fn tcp(&self) -> &TcpStream {
        &self.0.get_ref().inner
    }

    /// Runs `f` on the OpenSSL stream with `cx` lent to the socket; WouldBlock becomes Pending.
    fn with_context<R>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut SslStream<AllowStd>) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.0.get_mut().context = cx as *mut Context<'_> as *mut ();
        let result = f(&mut self.0);
        self.0.get_mut().context = std::ptr::null_mut();
        match result {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            other => Poll::Ready(other),
        }
    }
}

/// The handshake, polled until OpenSSL has what it needs.
struct Handshake<'a>(&'a mut TlsStream);

impl Future for Handshake<'_> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.with_context(cx, |stream| {
            stream.accept().map_err(|error| match error.code() {
                ErrorCode::WANT_READ | ErrorCode::WANT_WRITE => io::ErrorKind::WouldBlock.into(),
                _ => io::Error::other_from(error),
            })
        })
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let read = self.with_context(cx, |stream| stream.read(buf.initialize_unfilled()));
        read.map_ok(|n| buf.advance(n))
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.with_context(cx, |stream| stream.write(data))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with_context(cx, |stream| stream.flush())
    }

    /// Sends close_notify, then ends the TCP stream (FIN).
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let sent = self.with_context(cx, |stream| match stream.shutdown() {
            Ok(_) => Ok(()),
            Err(error) => match error.code() {
                // The peer is gone or closed first: nothing left to say.
                ErrorCode::ZERO_RETURN | ErrorCode::SYSCALL => Ok(()),
                ErrorCode::WANT_READ | ErrorCode::WANT_WRITE => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                _ => Err(io::Error::other_from(error)),
            },
        });
        match sent {
            Poll::Ready(Ok(())) => Pin::new(&mut self.0.get_mut().inner).poll_shutdown(cx),
            other => other,
        }
    }
}

/// The socket, with the task context of the poll in progress (null between polls).
struct AllowStd {
    inner: TcpStream,
    context: *mut (),
}

// The context pointer is only set, and only used, during one poll on the owning task.
unsafe impl Send for AllowStd {}
unsafe impl Sync for AllowStd {}

impl AllowStd {
    fn poll_with<R>(
        &mut self,
        f: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> io::Result<R> {
        assert!(!self.context.is_null(), "TLS socket used outside a poll");
        // SAFETY: `with_context` set this from a live `&mut Context` for the duration of the
        // call that reaches here, and clears it after.
        let cx = unsafe { &mut *(self.context as *mut Context<'_>) };
        match f(Pin::new(&mut self.inner), cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Read for AllowStd {
    fn read(&mut self, data: &mut [u8]) -> io::Result<usize> {
        self.poll_with(|socket, cx| {
            let mut buf = ReadBuf::new(data);
            socket
                .poll_read(cx, &mut buf)
                .map_ok(|()| buf.filled().len())
        })
    }
}

impl Write for AllowStd {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.poll_with(|socket, cx| socket.poll_write(cx, data))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.poll_with(|socket, cx| socket.poll_flush(cx))
    }
}

/// `io::Error::other` is newer than the Rust this must build with.
trait OtherFrom {
    fn other_from<E: Into<Box<dyn std::error::Error + Send + Sync>>>(error: E) -> io::Error;
}

impl OtherFrom for io::Error {
    #[allow(clippy::io_other_error)] // io::Error::other needs Rust 1.74
    fn other_from<E: Into<Box<dyn std::error::Error + Send + Sync>>>(error: E) -> io::Error {
        io::Error::new(io::ErrorKind::Other, error)
    }
}
