//! Listeners, routing, statistics and fault dispatch.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::header::{HeaderValue, ALLOW};
use hyper::server::conn::Http;
use hyper::service::service_fn;
use hyper::{Body, Method, Request, Response, StatusCode, Uri};
use openssl::ssl::SslAcceptor;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use crate::armor::{self, Armor};
use crate::faults::{self, FaultCounters, FaultEffect, FaultSpec};
use crate::idle::{Activity, KeepAlive, OverTcp, Watched};
use crate::logging::{self, Entry, RequestLog};
use crate::reply;
use crate::request;
use crate::tlspc::{self, Tlspc};

const STATS_PATH: &str = "/_emulator/stats";
/// The statistics key of requests to no known route.
const OTHER_ROUTE: &str = "other";
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// State shared by all connections.
pub struct App {
    armor: Armor,
    tlspc: Tlspc,
    global_fault: Option<FaultSpec>,
    fault_counters: FaultCounters,
    requests_per_route: Mutex<BTreeMap<&'static str, u64>>,
    /// Per route, the User-Agents of its requests and how many each sent: who fetched a token.
    agents_per_route: Mutex<BTreeMap<&'static str, BTreeMap<String, u64>>>,
    log: RequestLog,
    /// None: connections stay open until the client closes them.
    keep_alive: Option<KeepAlive>,
}

#[derive(Clone, Copy, PartialEq)]
enum Route {
    TlspcToken,
    ArmorAuthorize,
    ArmorToken,
    ArmorReissue,
    TlspcUserAccounts,
    ArmorMe,
    ArmorAccounts,
    Stats,
    Other,
}

impl Route {
    fn of(path: &str) -> Route {
        match path {
            armor::AUTHORIZE_ROUTE => Route::ArmorAuthorize,
            armor::TOKEN_ROUTE => Route::ArmorToken,
            armor::REISSUE_ROUTE => Route::ArmorReissue,
            armor::ME_ROUTE => Route::ArmorMe,
            armor::ACCOUNTS_ROUTE => Route::ArmorAccounts,
            tlspc::USER_ACCOUNTS_ROUTE => Route::TlspcUserAccounts,
            STATS_PATH => Route::Stats,
            _ if tlspc::tenant_of(path).is_some() => Route::TlspcToken,
            _ => Route::Other,
        }
    }

    fn stats_key(self) -> &'static str {
        match self {
            Route::TlspcToken => tlspc::ROUTE,
            Route::ArmorAuthorize => armor::AUTHORIZE_ROUTE,
            Route::ArmorToken => armor::TOKEN_ROUTE,
            Route::ArmorReissue => armor::REISSUE_ROUTE,
            Route::ArmorMe => armor::ME_ROUTE,
            Route::ArmorAccounts => armor::ACCOUNTS_ROUTE,
            Route::TlspcUserAccounts => tlspc::USER_ACCOUNTS_ROUTE,
            Route::Stats => STATS_PATH,
            Route::Other => OTHER_ROUTE,
        }
    }

    /// The one method the route accepts; None: any (it answers 404 anyway).
    fn method(self) -> Option<Method> {
        match self {
            Route::Stats | Route::TlspcUserAccounts | Route::ArmorMe | Route::ArmorAccounts => {
                Some(Method::GET)
            }
            Route::Other => None,
            _ => Some(Method::POST),
        }
    }

    /// The normal success body, the base of success-shaped faults.
    fn token_body(self) -> fn() -> Value {
        match self {
            Route::ArmorAuthorize
            | Route::ArmorToken
            | Route::ArmorReissue
            | Route::ArmorMe
            | Route::ArmorAccounts => armor::token_body,
            _ => tlspc::token_body,
        }
    }
}

/// How a request ends.
enum Outcome {
    Respond(Response<Body>),
    Hang,
    Drop,
}

/// What the log says about a request besides the basics.
struct Handled {
    outcome: Outcome,
    sub: Option<String>,
    fault: Option<String>,
}

impl Handled {
    fn response(response: Response<Body>) -> Self {
        Handled {
            outcome: Outcome::Respond(response),
            sub: None,
            fault: None,
        }
    }
}

/// Returned to hyper to make it close the connection without an answer (the `drop` fault).
#[derive(Debug)]
struct ConnectionDropped;

impl fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for ConnectionDropped {}

pub async fn serve_http(listener: TcpListener, app: Arc<App>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                set_nodelay(&stream);
                tokio::spawn(serve_connection(stream, "http", Arc::clone(&app)));
            }
            Err(error) => pause_after_accept_error(&app, "http", &error).await,
        }
    }
}

pub async fn serve_https(listener: TcpListener, acceptor: SslAcceptor, app: Arc<App>) {
    let acceptor = Arc::new(acceptor);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                set_nodelay(&stream);
                let (acceptor, app) = (Arc::clone(&acceptor), Arc::clone(&app));
                tokio::spawn(async move {
                    match crate::tls::accept(&acceptor, stream).await {
                        Ok(tls_stream) => serve_connection(tls_stream, "https", app).await,
                        Err(error) => app
                            .log
                            .note("https", &format!("TLS handshake failed: {error}")),
                    }
                });
            }
            Err(error) => pause_after_accept_error(&app, "https", &error).await,
        }
    }
}

/// As real servers do (nginx's tcp_nodelay): otherwise a small write behind unacknowledged
/// data (an answer after TLS 1.3's session tickets) waits for the client's delayed ACK, 40 ms.
fn set_nodelay(stream: &TcpStream) {
    // A socket that refuses it still serves, only slower.
    let _ = stream.set_nodelay(true);
}

async fn pause_after_accept_error(app: &App, listener: &str, error: &std::io::Error) {
    app.log.note(listener, &format!("accept failed: {error}"));
    tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
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

impl App {
    pub fn new(
        global_fault: Option<FaultSpec>,
        keep_alive: Option<KeepAlive>,
        log: RequestLog,
    ) -> Self {
        let routes = [
            Route::TlspcToken,
            Route::ArmorAuthorize,
            Route::ArmorToken,
            Route::ArmorReissue,
            Route::TlspcUserAccounts,
            Route::ArmorMe,
            Route::ArmorAccounts,
            Route::Other,
        ];
        App {
            armor: Armor::default(),
            tlspc: Tlspc::default(),
            global_fault,
            fault_counters: FaultCounters::default(),
            requests_per_route: Mutex::new(
                routes.iter().map(|route| (route.stats_key(), 0)).collect(),
            ),
            agents_per_route: Mutex::new(BTreeMap::new()),
            log,
            keep_alive,
        }
    }

    /// Serves one request and logs it.
    async fn serve(
        self: Arc<Self>,
        listener: &'static str,
        request: Request<Body>,
    ) -> Result<Response<Body>, ConnectionDropped> {
        let started = Instant::now();
        let method = request.method().clone();
        let target = logging::loggable_target(request.uri());
        let handled = self.handle(request).await;
        let outcome = match &handled.outcome {
            Outcome::Respond(response) => response.status().as_u16().to_string(),
            Outcome::Hang => "hang".to_owned(),
            Outcome::Drop => "drop".to_owned(),
        };
        self.log.request(&Entry {
            listener,
            method: &method,
            target: &target,
            outcome: &outcome,
            elapsed: started.elapsed(),
            sub: handled.sub.as_deref(),
            fault: handled.fault.as_deref(),
        });
        match handled.outcome {
            Outcome::Respond(response) => Ok(response),
            Outcome::Drop => Err(ConnectionDropped),
            Outcome::Hang => std::future::pending().await,
        }
    }

    async fn handle(&self, request: Request<Body>) -> Handled {
        let route = Route::of(request.uri().path());
        if route == Route::Stats {
            // The statistics are the tests' view of the emulator: never counted, never faulted.
            return self.route(route, request).await;
        }
        self.count(route, request.headers());
        match self.fault_for(request.uri()) {
            Ok(Some(spec)) if self.fault_counters.applies(&spec, request.uri().path()) => {
                self.route_with_fault(route, spec, request).await
            }
            Ok(_) => self.route(route, request).await,
            Err(message) => Handled::response(reply::envelope(StatusCode::BAD_REQUEST, &message)),
        }
    }

    async fn route_with_fault(
        &self,
        route: Route,
        spec: FaultSpec,
        request: Request<Body>,
    ) -> Handled {
        let outcome = match faults::effect(&spec.mode, route.token_body()) {
            FaultEffect::Delay(duration) => {
                tokio::time::sleep(duration).await;
                let mut handled = self.route(route, request).await;
                handled.fault = Some(spec.text);
                return handled;
            }
            FaultEffect::Respond(response) => Outcome::Respond(response),
            FaultEffect::Hang => Outcome::Hang,
            FaultEffect::Drop => Outcome::Drop,
        };
        Handled {
            outcome,
            sub: None,
            fault: Some(spec.text),
        }
    }

    /// The request's own `?fault=` spec, else the global one.
    fn fault_for(&self, uri: &Uri) -> Result<Option<FaultSpec>, String> {
        let query = request::parse_form(uri.query().unwrap_or("").as_bytes())
            .map_err(|message| format!("invalid query: {message}"))?;
        match query.get("fault") {
            Some(text) => faults::parse(text).map(Some),
            None => Ok(self.global_fault.clone()),
        }
    }

    async fn route(&self, route: Route, request: Request<Body>) -> Handled {
        if let Some(allowed) = route.method().filter(|allowed| allowed != request.method()) {
            return Handled::response(method_not_allowed(&allowed));
        }
        let response = match route {
            Route::TlspcToken => {
                let answer = self.tlspc.token(request).await;
                return Handled {
                    outcome: Outcome::Respond(answer.response),
                    sub: answer.sub,
                    fault: None,
                };
            }
            Route::ArmorAuthorize => self.armor.authorize(request).await,
            Route::ArmorToken => self.armor.token(request).await,
            Route::ArmorReissue => self.armor.reissue(request).await,
            Route::ArmorMe => self.armor.me(&request),
            Route::ArmorAccounts => self.armor.accounts(&request),
            Route::TlspcUserAccounts => self.tlspc.user_accounts(&request),
            Route::Stats => self.stats(),
            Route::Other => reply::envelope(StatusCode::NOT_FOUND, "Not found"),
        };
        Handled::response(response)
    }

    fn count(&self, route: Route, headers: &hyper::HeaderMap) {
        *self
            .requests_per_route()
            .entry(route.stats_key())
            .or_insert(0) += 1;
        let agent = headers
            .get(hyper::header::USER_AGENT)
            .map_or("", |value| value.to_str().unwrap_or("(not text)"));
        *self
            .agents_per_route
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(route.stats_key())
            .or_default()
            .entry(agent.to_owned())
            .or_insert(0) += 1;
    }

    fn stats(&self) -> Response<Body> {
        let requests = self.requests_per_route().clone();
        let agents = self
            .agents_per_route
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        reply::json(
            StatusCode::OK,
            &json!({ "requests": requests, "agents": agents }),
        )
    }

    fn requests_per_route(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, u64>> {
        // Counters stay meaningful even if a panic happened while one was held.
        self.requests_per_route
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn method_not_allowed(allowed: &Method) -> Response<Body> {
    let mut response = reply::envelope(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    if let Ok(value) = HeaderValue::from_str(allowed.as_str()) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}
