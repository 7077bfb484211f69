//! The listeners: HTTP and HTTPS connections served by hyper (HTTP/1.1), each request handed
//! to the App, and idle connections closed as `--keepalive-timeout` asks.

use std::sync::Arc;

use hyper::server::conn::Http;
use hyper::service::service_fn;
use openssl::ssl::SslAcceptor;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use crate::net::accept_each;
use crate::services::app::App;
use crate::services::idle::{Activity, OverTcp, Watched};
use crate::services::tls;

/// Serves plain HTTP on `listener` for as long as the process runs.
pub async fn serve_http(listener: TcpListener, app: Arc<App>) {
    accept_each(
        listener,
        |stream| {
            set_nodelay(&stream);
            tokio::spawn(serve_connection(stream, "http", Arc::clone(&app)));
        },
        |error| app.log.note("http", &format!("accept failed: {error}")),
    )
    .await;
}

/// Serves HTTPS on `listener` (TLS by `acceptor`) for as long as the process runs; a failed
/// handshake is a note in the log.
pub async fn serve_https(listener: TcpListener, acceptor: SslAcceptor, app: Arc<App>) {
    let acceptor = Arc::new(acceptor);
    accept_each(
        listener,
        |stream| {
            set_nodelay(&stream);
            let (acceptor, app) = (Arc::clone(&acceptor), Arc::clone(&app));
            tokio::spawn(async move {
                match tls::accept(&acceptor, stream).await {
                    Ok(tls_stream) => serve_connection(tls_stream, "https", app).await,
                    Err(error) => app
                        .log
                        .note("https", &format!("TLS handshake failed: {error}")),
                }
            });
        },
        |error| app.log.note("https", &format!("accept failed: {error}")),
    )
    .await;
}

/// As real servers do (nginx's tcp_nodelay): otherwise a small write behind unacknowledged
/// data (an answer after TLS 1.3's session tickets) waits for the client's delayed ACK, 40 ms.
fn set_nodelay(stream: &TcpStream) {
    // A socket that refuses it still serves, only slower.
    let _ = stream.set_nodelay(true);
}

async fn serve_connection<I>(io: I, listener: &'static str, app: Arc<App>)
where
    I: AsyncRead + AsyncWrite + OverTcp + Unpin + Send + 'static,
{
    let keep_alive = match app.keep_alive {
        Some(keep_alive) => keep_alive,
        None => {
            let service = service_fn(move |request| Arc::clone(&app).serve(listener, request));
            // Errors here are clients going away, or the drop and reset faults: nothing to report.
            let _ = Http::new()
                .http1_only(true)
                .serve_connection(io, service)
                .await;
            return;
        }
    };
    let activity = Activity::new();
    let io = Watched::new(io, Arc::clone(&activity), keep_alive.close);
    let service = {
        let (app, activity) = (Arc::clone(&app), Arc::clone(&activity));
        service_fn(move |request| {
            let in_flight = activity.request_started();
            let served = Arc::clone(&app).serve(listener, request);
            async move {
                let response = served.await;
                drop(in_flight);
                response
            }
        })
    };
    let connection = Http::new().http1_only(true).serve_connection(io, service);
    tokio::pin!(connection);
    loop {
        let wait = match activity.idle_deadline(keep_alive.timeout) {
            Some(deadline) => deadline,
            // A request is being served; look again a timeout later.
            None => tokio::time::Instant::now() + keep_alive.timeout,
        };
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = tokio::time::sleep_until(wait) => {}
        }
        let idle_since = activity.idle_deadline(keep_alive.timeout);
        if matches!(idle_since, Some(deadline) if deadline <= tokio::time::Instant::now()) {
            break;
        }
    }
    app.log.note(
        listener,
        &format!(
            "closing a connection idle for {:?} ({})",
            keep_alive.timeout,
            keep_alive.close.name()
        ),
    );
    activity.mark_closing();
    // Idle, so hyper closes it now: it shuts the stream down (see Watched) and drops it.
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}
