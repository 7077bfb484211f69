//! The emulator's state and its handling of one request: statistics, faults, dispatch to the
//! route's handler, and the request log's line.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hyper::header::{HeaderValue, ALLOW};
use hyper::{Body, Method, Request, Response, StatusCode, Uri};
use serde_json::json;

use crate::services::armor::Armor;
use crate::services::faults::{self, FaultCounters, FaultEffect, FaultSpec};
use crate::services::idle::KeepAlive;
use crate::services::reply;
use crate::services::request;
use crate::services::request_log::{self, Entry, RequestLog};
use crate::services::routes::{self, Route};
use crate::services::tlspc::Tlspc;

/// State shared by all connections.
pub struct App {
    armor: Armor,
    tlspc: Tlspc,
    global_fault: Option<FaultSpec>,
    fault_counters: FaultCounters,
    requests_per_route: Mutex<BTreeMap<&'static str, u64>>,
    /// Per route, the User-Agents of its requests and how many each sent: who fetched a token.
    agents_per_route: Mutex<BTreeMap<&'static str, BTreeMap<String, u64>>>,
    pub log: RequestLog,
    /// None: connections stay open until the client closes them.
    pub keep_alive: Option<KeepAlive>,
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
pub struct ConnectionDropped;

impl fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for ConnectionDropped {}

impl App {
    pub fn new(
        global_fault: Option<FaultSpec>,
        keep_alive: Option<KeepAlive>,
        log: RequestLog,
    ) -> Self {
        App {
            armor: Armor::default(),
            tlspc: Tlspc::default(),
            global_fault,
            fault_counters: FaultCounters::default(),
            requests_per_route: Mutex::new(
                routes::COUNTED
                    .iter()
                    .map(|route| (route.stats_key(), 0))
                    .collect(),
            ),
            agents_per_route: Mutex::new(BTreeMap::new()),
            log,
            keep_alive,
        }
    }

    /// Serves one request and logs it.
    pub async fn serve(
        self: Arc<Self>,
        listener: &'static str,
        request: Request<Body>,
    ) -> Result<Response<Body>, ConnectionDropped> {
        let started = Instant::now();
        let method = request.method().clone();
        let target = request_log::loggable_target(request.uri());
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
