//! The only module that talks to the network: one POST with a deadline, bounded retries, a
//! capped body, cancellation, and failures sorted into the error kinds of the C ABI.
//!
//! Calls run on "lanes" of their configuration (`config::Lane`: a current-thread runtime with
//! its own client), so connections and TLS sessions are reused across calls and each caller
//! drives its own I/O.

use crate::cancel::Cancel;
use crate::clock;
use crate::config::{Config, Lane};
use crate::connection_log::{self, Kept, Observed};
use crate::error::{nt_result, Error};
use crate::error_body;
use crate::url_check;
use reqwest::header::{HeaderMap, ACCEPT, CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url, Version};
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;
use tokio::time::Instant;
use zeroize::Zeroizing;

/// Timeout when the call gives none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest body read; token answers are a few KiB, anything this big is not one.
const MAX_BODY_BYTES: usize = 1 << 20;
/// One attempt plus at most two retries.
const MAX_ATTEMPTS: u32 = 3;
/// Longest wait honoured from a `Retry-After` header; a token call should not stall longer.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Wait before the first retry when the server gave no `Retry-After`; doubles per retry. Short:
/// these are refused or dropped connections, where a quick second try is what helps.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// How long a lone call polls for its answer before it sleeps (see `poll_then_wait`).
const BUSY_POLL: Duration = Duration::from_micros(100);
/// Calls from two threads this close together count as concurrent (see `poll_then_wait`).
const CONCURRENT_WITHIN: Duration = Duration::from_millis(5);
/// Turns given to the lane's runtime before a request picks a pooled connection (see
/// `settle_idle_connections`): the first polls the sockets and wakes the task of a connection
/// the server closed; the runtime polls the call before that task, so the second lets the task
/// read the close and leave the pool; one more in case a TLS close takes the task two reads.
/// (After the first alone, hyper finds the close as it is about to write the request, and
/// sends it on a new connection itself.)
const SETTLE_TURNS: usize = 3;
/// A kept connection idle for less than this is used without first looking for a close: a
/// server rarely closes one so soon (and if it did, the request is sent again at once), while
/// looking costs each back-to-back call a few system calls.
const SETTLE_AFTER_IDLE: Duration = Duration::from_millis(10);

/// Calls in flight in the process, on every lane.
static CALLS_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// The thread and time of the latest call's start: `thread tag << 48 | microseconds since
/// `EPOCH`` (48 bits of microseconds last nine years).
static LAST_START: AtomicU64 = AtomicU64::new(0);
static EPOCH: once_cell::sync::Lazy<std::time::Instant> =
    once_cell::sync::Lazy::new(std::time::Instant::now);
static THREAD_TAGS: AtomicU64 = AtomicU64::new(1);
thread_local! {
    /// A small number naming the calling thread (0 is never used).
    static THREAD_TAG: u64 = THREAD_TAGS.fetch_add(1, Ordering::Relaxed) & 0xffff;
}

/// One POST to make.
pub struct Post<'a> {
    pub url: &'a Url,
    pub content_type: &'static str,
    /// May hold secrets; it is copied into each attempt's request.
    pub body: &'a [u8],
}

/// How a call runs: with which configuration (None: the default one), for how long at most,
/// and watching which cancellation.
#[derive(Clone, Copy)]
pub struct CallOptions<'a> {
    pub config: Option<&'a Config>,
    pub timeout: Duration,
    pub cancel: Option<&'a Cancel>,
}

impl<'a> CallOptions<'a> {
    /// `timeout_ms` 0 is 30 s.
    pub fn new(
        config: Option<&'a Config>,
        timeout_ms: u32,
        cancel: Option<&'a Cancel>,
    ) -> CallOptions<'a> {
        CallOptions {
            config,
            timeout: timeout_from(timeout_ms),
            cancel,
        }
    }
}

/// A 2xx answer, read completely.
pub struct Answer {
    pub status: StatusCode,
    /// Wiped on drop: token answers are secrets.
    pub body: Zeroizing<Vec<u8>>,
    /// When the answer's head arrived; token lifetimes count from here.
    pub received_at_unix_ms: i64,
    /// One line per attempt, without secrets.
    pub trace: String,
}

/// Sends `request`, retrying as docs/ABI.md allows, all within the call's timeout, until done
/// or cancelled. Non-2xx answers come back as `NT_HTTP_STATUS` errors; every error carries the
/// trace.
pub fn post(request: &Post<'_>, options: &CallOptions<'_>) -> Result<Answer, Error> {
    let target = url_check::for_display(request.url);
    if options.cancel.is_some_and(Cancel::is_triggered) {
        return Err(cancelled_error(&target));
    }
    let config = match options.config {
        Some(config) => config,
        None => Config::default_config()?,
    };
    let mut trace = Vec::new();
    let in_flight = InFlight::enter();
    let outcome = config.with_lane(|lane| {
        lane.runtime
            .block_on(poll_then_wait(in_flight.alone, async {
                let work = post_with_retries(
                    lane,
                    request,
                    &target,
                    config.proxy_shown(),
                    options,
                    &mut trace,
                );
                match options.cancel {
                    None => Some(work.await),
                    Some(cancel) => tokio::select! {
                        biased;
                        _ = cancel.triggered() => None,
                        result = work => Some(result),
                    },
                }
            }))
    })?;
    // Dropping the unfinished request above closed its connection; the lane's other
    // connections stay pooled for the next call.
    let outcome = outcome.unwrap_or_else(|| {
        trace.push(format!("cancelled while waiting for {target}"));
        Err(cancelled_error(&target))
    });
    let trace = trace.join("\n");
    match outcome {
        Ok(answer) => Ok(Answer { trace, ..answer }),
        Err(error) => Err(error.with_trace(trace)),
    }
}

/// Counts a call in flight until dropped, and says whether it may poll for its answer.
struct InFlight {
    alone: bool,
}

impl InFlight {
    /// A call is alone when no other call is in flight and no other thread started one within
    /// `CONCURRENT_WITHIN` (two runspaces calling in turn are never in flight together for long).
    fn enter() -> InFlight {
        let others = CALLS_IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        let tag = THREAD_TAG.try_with(|tag| *tag).unwrap_or(0);
        let now = u64::try_from(EPOCH.elapsed().as_micros()).unwrap_or(u64::MAX) & ((1 << 48) - 1);
        let previous = LAST_START.swap(tag << 48 | now, Ordering::Relaxed);
        let (previous_tag, previous_at) = (previous >> 48, previous & ((1 << 48) - 1));
        let recent_other = previous_tag != tag
            && now.saturating_sub(previous_at) < CONCURRENT_WITHIN.as_micros() as u64;
        InFlight {
            alone: others == 0 && !recent_other,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        CALLS_IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `work`, polling it (and the runtime's sockets) without sleeping for up to
/// `BUSY_POLL` before waiting as usual, when the call is `alone` (see `InFlight::enter`).
///
/// A token answer on a local network arrives within tens of microseconds, while a thread that
/// slept waiting for it can take as long again to be woken on a virtual machine (measured here:
/// a call over loopback took 80 µs when the thread slept, 51 µs when it polled). Polling costs
/// at most `BUSY_POLL` of CPU per call, nothing next to a remote service's round trip. With
/// several calls in flight the CPUs are better left to them (and to a local server), so then
/// every call sleeps at once: polling two calls on two CPUs halved the throughput of a server
/// on the same machine.
async fn poll_then_wait<F: Future>(alone: bool, work: F) -> F::Output {
    tokio::pin!(work);
    if !alone {
        return work.await;
    }
    let until = std::time::Instant::now() + BUSY_POLL;
    loop {
        if let Poll::Ready(output) =
            std::future::poll_fn(|cx| Poll::Ready(work.as_mut().poll(cx))).await
        {
            return output;
        }
        if std::time::Instant::now() >= until || CALLS_IN_FLIGHT.load(Ordering::Relaxed) > 1 {
            return work.await;
        }
        // Back to the runtime, which checks the sockets without blocking and polls again.
        tokio::task::yield_now().await;
    }
}

/// `timeout_ms` if not 0, else the default.
fn timeout_from(timeout_ms: u32) -> Duration {
    if timeout_ms > 0 {
        Duration::from_millis(timeout_ms.into())
    } else {
        DEFAULT_TIMEOUT
    }
}

fn cancelled_error(target: &str) -> Error {
    Error::new(
        nt_result::NT_CANCELLED,
        format!("the call to {target} was cancelled"),
    )
}

/// What one attempt got back from the server.
struct Reply {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Zeroizing<Vec<u8>>,
    /// The body was longer than `MAX_BODY_BYTES`; `body` holds its start.
    over_limit: bool,
    received_at_unix_ms: i64,
    /// The answer left its connection open for the next request (HTTP/1.1 without
    /// `Connection: close`, body read to its end).
    keeps_connection: bool,
}

/// An attempt that got no complete answer.
struct SendFailure {
    error: Error,
    /// No response head arrived, so the request may be repeated (unless the connection log
    /// shows that part of one did: see `post_with_retries`).
    before_answer: bool,
    /// It failed while connecting (TCP, proxy tunnel or TLS handshake): no connection carried
    /// the request.
    connecting: bool,
}

/// `shown` is the request's URL as messages show it (`url_check::for_display`).
///
/// Besides the retries `judge` allows (with back-off), a request that failed on the connection
/// kept from an earlier answer before any byte of an answer came is sent again at once, once:
/// the server closed that connection while it was idle (docs/ERRORS.md, "Retries").
async fn post_with_retries(
    lane: &Lane,
    request: &Post<'_>,
    shown: &str,
    proxy: Option<&str>,
    options: &CallOptions<'_>,
    trace: &mut Vec<String>,
) -> Result<Answer, Error> {
    let through_proxy;
    let target = match proxy {
        Some(proxy) => {
            through_proxy = format!("{shown} through the proxy {proxy}");
            through_proxy.as_str()
        }
        None => shown,
    };
    let origin = request.url.origin().ascii_serialization();
    let timeout = options.timeout;
    let deadline = Instant::now() + timeout;
    let mut attempt = 0;
    let mut retries_made = 0;
    let mut resent_at_once = false;
    loop {
        attempt += 1;
        let attempt_started = Instant::now();
        let kept = lane.kept.take(&origin);
        let idle = if should_settle(kept) {
            settle_idle_connections().await
        } else {
            None
        };
        // Still believed open: not seen closing just now.
        let pooled = kept
            .map(|kept| kept.id)
            .filter(|id| !matches!(&idle, Some(seen) if seen.ended(*id)));
        let recording = connection_log::start();
        let sent = tokio::time::timeout_at(deadline, send_once(&lane.client, request, proxy)).await;
        let seen = if recording {
            connection_log::finish()
        } else {
            None
        };
        let mut outcome = match sent {
            Ok(outcome) => outcome,
            Err(_) => {
                trace.push(format!(
                    "attempt {attempt}: POST {target} -> no complete answer before the timeout"
                ));
                return Err(timeout_error(target, timeout));
            }
        };
        let summary = match &outcome {
            Ok(reply) => status_text(reply.status),
            Err(failure) => failure.error.kind().name().to_owned(),
        };
        let took = seconds_text(attempt_started.elapsed());
        trace.push(format!(
            "attempt {attempt}: POST {target} -> {summary} in {took}"
        ));
        match &mut outcome {
            Ok(reply) => note_connection_kept(
                lane,
                &origin,
                reply,
                kept.map(|kept| kept.id),
                seen.as_ref(),
                trace,
            ),
            // Connected, and no response head came.
            Err(failure) if failure.before_answer && !failure.connecting => {
                if matches!(&seen, Some(seen) if seen.any_data_read()) {
                    // Part of an answer came: the server may have acted on the request.
                    failure.before_answer = false;
                    trace.push(
                        "not sent again: the server had begun to answer when the connection broke"
                            .to_owned(),
                    );
                } else if !resent_at_once && failed_on_kept_connection(pooled, seen.as_ref()) {
                    resent_at_once = true;
                    trace.push(
                        "the server had closed the connection kept from an earlier answer \
                         (no byte of an answer came on it); sending again at once on a new \
                         connection"
                            .to_owned(),
                    );
                    continue;
                }
            }
            Err(_) => {}
        }
        let (failure, retry_after) = match judge(outcome, target) {
            Verdict::Final(result) => return result,
            Verdict::Retryable(failure, retry_after) => (failure, retry_after),
        };
        if retries_made == MAX_ATTEMPTS - 1 {
            trace.push(format!("not retried: {retries_made} retries made already"));
            return Err(failure);
        }
        retries_made += 1;
        let delay = retry_delay(retries_made, retry_after);
        if Instant::now() + delay >= deadline {
            trace.push(format!(
                "not retried: waiting {} would pass the timeout",
                seconds_text(delay)
            ));
            return Err(failure);
        }
        let reason = retry_after.map_or_else(
            || format!("{} is transient", failure.kind().name()),
            |after| format!("the server sent Retry-After: {}", after.as_secs()),
        );
        trace.push(format!(
            "retrying in {} because {reason}",
            seconds_text(delay)
        ));
        tokio::time::sleep(delay).await;
    }
}

/// Whether to look for a close before sending, given the connection kept for the origin: when
/// it has been idle a while, or whenever the connection log is unavailable (then nothing is
/// known of kept connections).
fn should_settle(kept: Option<Kept>) -> bool {
    match kept {
        Some(kept) => kept.since.elapsed() >= SETTLE_AFTER_IDLE,
        None => !connection_log::available(),
    }
}

/// Lets the lane's runtime read what arrived on its idle connections before the request picks
/// one. The runtime runs only during a call, so a FIN, TLS close_notify or reset the server sent
/// while the lane was idle is still unread; read now, it makes hyper drop that connection from
/// its pool and the request opens a new one instead of failing on the dead one. Yielding to the
/// current-thread runtime makes it poll its sockets without blocking. Returns what the
/// connections did meanwhile, when the connection log can be read.
async fn settle_idle_connections() -> Option<Observed> {
    let recording = connection_log::start();
    for _ in 0..SETTLE_TURNS {
        tokio::task::yield_now().await;
    }
    if recording {
        connection_log::finish()
    } else {
        None
    }
}

/// Whether a request that failed before an answer was on the connection kept from an earlier
/// answer (`pooled`, still believed open): the log shows no other connection (none at all when
/// the failure was a reset, which is not logged).
fn failed_on_kept_connection(pooled: Option<u32>, seen: Option<&Observed>) -> bool {
    match (pooled, seen) {
        (Some(id), Some(seen)) => seen.only_on(id),
        _ => false,
    }
}

/// Remembers the connection that carried `reply` if it stays open, and says in the trace when
/// the connection kept from an earlier answer was not the one used (the server had closed it).
fn note_connection_kept(
    lane: &Lane,
    origin: &str,
    reply: &Reply,
    kept: Option<u32>,
    seen: Option<&Observed>,
    trace: &mut Vec<String>,
) {
    let answered_on = seen.and_then(Observed::answering_connection);
    if let Some(id) = answered_on {
        if reply.keeps_connection {
            lane.kept.keep(origin, id);
        }
        if matches!(kept, Some(kept) if kept != id) {
            trace.push(
                "the server had closed the connection kept from an earlier answer while it was \
                 idle; the request went on a new connection"
                    .to_owned(),
            );
        }
    }
}

/// What an attempt's outcome means for the call.
enum Verdict {
    /// The call's result: an answer, or a failure that another attempt would not fix.
    Final(Result<Answer, Error>),
    /// A failure worth another attempt, after the server's `Retry-After` if it gave one.
    Retryable(Error, Option<Duration>),
}

/// Retryable are 429 and 503, and connections refused or dropped before any answer (the
/// request cannot have been acted on). Everything else is final.
fn judge(outcome: Result<Reply, SendFailure>, target: &str) -> Verdict {
    match outcome {
        Ok(reply) if reply.status.is_success() => Verdict::Final(answer_from(reply, target)),
        Ok(reply) => {
            let error = status_error(reply.status, target, &reply.body);
            match reply.status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    Verdict::Retryable(error, reply.retry_after)
                }
                _ => Verdict::Final(Err(error)),
            }
        }
        Err(failure) => match failure.error.kind() {
            nt_result::NT_CONNECT_FAILED | nt_result::NT_CONNECTION_RESET
                if failure.before_answer =>
            {
                Verdict::Retryable(failure.error, None)
            }
            _ => Verdict::Final(Err(failure.error)),
        },
    }
}

fn timeout_error(target: &str, timeout: Duration) -> Error {
    Error::new(
        nt_result::NT_TIMEOUT,
        format!(
            "no complete answer from {target} within {} (the timeout covers the whole call, \
             retries included; set timeout_ms (NATIVETOKEN_TIMEOUT_SEC in PowerShell) to \
             change it)",
            seconds_text(timeout)
        ),
    )
}

/// One request and its whole (capped) body.
async fn send_once(
    client: &reqwest::Client,
    request: &Post<'_>,
    proxy: Option<&str>,
) -> Result<Reply, SendFailure> {
    let mut response = client
        .post(request.url.clone())
        .header(CONTENT_TYPE, request.content_type)
        .header(ACCEPT, "application/json")
        .body(request.body.to_vec())
        .send()
        .await
        .map_err(|error| SendFailure {
            error: classify(&error, request.url, proxy),
            before_answer: true,
            connecting: error.is_connect(),
        })?;
    let received_at_unix_ms = clock::now_unix_ms();
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let keeps_open = response.version() >= Version::HTTP_11 && !asks_to_close(response.headers());
    let (body, over_limit) =
        read_capped_body(&mut response)
            .await
            .map_err(|error| SendFailure {
                error: classify(&error, request.url, proxy),
                before_answer: false,
                connecting: false,
            })?;
    Ok(Reply {
        status,
        retry_after,
        body,
        keeps_connection: keeps_open && !over_limit,
        over_limit,
        received_at_unix_ms,
    })
}

/// `Connection: close` (among the header's tokens).
fn asks_to_close(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("close"))
}

/// The body, chunk by chunk, up to `MAX_BODY_BYTES`; the flag says more was on its way.
async fn read_capped_body(
    response: &mut reqwest::Response,
) -> Result<(Zeroizing<Vec<u8>>, bool), reqwest::Error> {
    let announced = response
        .content_length()
        .unwrap_or(0)
        .min(MAX_BODY_BYTES as u64);
    let mut body = Zeroizing::new(Vec::with_capacity(announced as usize));
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            append_wiping(&mut body, &chunk[..room]);
            return Ok((body, true));
        }
        append_wiping(&mut body, &chunk);
    }
    Ok((body, false))
}

/// Appends without leaving an unwiped copy behind when the buffer has to grow.
fn append_wiping(body: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    if body.capacity() - body.len() < bytes.len() {
        let needed = body.len() + bytes.len();
        let mut grown = Zeroizing::new(Vec::with_capacity(
            needed.max(body.capacity() * 2).min(MAX_BODY_BYTES),
        ));
        grown.extend_from_slice(body);
        *body = grown;
    }
    body.extend_from_slice(bytes);
}

fn answer_from(reply: Reply, target: &str) -> Result<Answer, Error> {
    if reply.over_limit {
        return Err(Error::invalid_response(format!(
            "the answer from {target} is larger than {} MiB, so it is not a token answer",
            MAX_BODY_BYTES >> 20
        )));
    }
    Ok(Answer {
        status: reply.status,
        body: reply.body,
        received_at_unix_ms: reply.received_at_unix_ms,
        trace: String::new(),
    })
}

/// `HTTP 401 Unauthorized from https://host/path: <the server's message>`.
fn status_error(status: StatusCode, target: &str, body: &[u8]) -> Error {
    Error::http_status(
        status.as_u16(),
        format!(
            "{} from {target}: {}",
            status_text(status),
            error_body::describe(body)
        ),
    )
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// `Retry-After` in seconds, capped; the HTTP-date form is ignored (backoff applies instead).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The wait before retry number `attempt`: the server's `Retry-After`, else exponential
/// backoff; plus up to a quarter more, so that many clients refused together do not return
/// together.
fn retry_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let base = retry_after.unwrap_or(FIRST_BACKOFF * 2u32.pow(attempt - 1));
    base + jitter(base / 4)
}

/// A pseudo-random duration in `[0, max]`. Seeded from the per-process random hash keys, the
/// clock and the thread, which is all the unpredictability a retry spread needs.
fn jitter(max: Duration) -> Duration {
    let mut hasher = RandomState::new().build_hasher();
    clock::now_unix_ms().hash(&mut hasher);
    std::time::Instant::now().hash(&mut hasher);
    std::thread::current().id().hash(&mut hasher);
    let per_mille = hasher.finish() % 1001;
    max * per_mille as u32 / 1000
}

fn seconds_text(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis} ms")
    } else if millis % 1000 == 0 {
        format!("{} s", millis / 1000)
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

/// Sorts a transport failure into an error kind, by its causes: the I/O error kind when there
/// is one, else what hyper and the TLS library say. reqwest's own text is left out of both the
/// checks and the message, because it holds the whole URL, query included. With a proxy, every
/// connection is the proxy's: failures to reach it, or a tunnel it refused, name it.
fn classify(error: &reqwest::Error, url: &Url, proxy: Option<&str>) -> Error {
    let target = url_check::for_display(url);
    let host = url.host_str().unwrap_or_default();
    let detail = most_specific_cause(error);
    let io_kind =
        causes(error).find_map(|cause| cause.downcast_ref::<std::io::Error>().map(|io| io.kind()));
    let mentions = |needles: &[&str]| {
        causes(error).any(|cause| {
            let text = cause.to_string().to_ascii_lowercase();
            needles.iter().any(|needle| text.contains(needle))
        })
    };
    // " through the proxy http://host:port", or nothing.
    let via = proxy.map_or_else(String::new, |proxy| format!(" through the proxy {proxy}"));
    use std::io::ErrorKind;
    let (kind, message) = match (io_kind, proxy) {
        (Some(ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable), Some(proxy)) => (
            nt_result::NT_CONNECT_FAILED,
            format!("could not connect to the proxy {proxy} (for {target}): {detail}"),
        ),
        (_, Some(proxy)) if mentions(&["tunnel", "proxy authentication"]) => (
            nt_result::NT_CONNECT_FAILED,
            format!("the proxy {proxy} did not open a tunnel to {target}: {detail}"),
        ),
        (_, Some(proxy)) if mentions(&["dns error", "failed to lookup address"]) => (
            nt_result::NT_DNS_FAILED,
            format!("the host name of the proxy {proxy} did not resolve: {detail}"),
        ),
        (Some(ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable), None) => {
            (nt_result::NT_CONNECT_FAILED, format!("could not connect to {target}: {detail}"))
        }
        (Some(ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof), _) => (
            nt_result::NT_CONNECTION_RESET,
            format!("the connection to {target}{via} was reset before a complete answer: {detail}"),
        ),
        _ if mentions(&["dns error", "failed to lookup address"]) => (
            nt_result::NT_DNS_FAILED,
            format!("the host name {host} did not resolve: {detail}"),
        ),
        _ if error.is_timeout() => (nt_result::NT_TIMEOUT, format!("no answer from {target}{via} in time: {detail}")),
        _ if mentions(&["certificate", "ssl", "tls", "handshake"]) => (
            nt_result::NT_TLS_FAILED,
            format!(
                "TLS with {target}{via} failed ({detail}). This is a certificate/TLS problem: if the server's \
                 certificate comes from a private CA, trust that CA with SSL_CERT_FILE=/path/ca.pem"
            ),
        ),
        _ if mentions(&["connection closed", "incomplete message", "unexpected eof"]) => (
            nt_result::NT_CONNECTION_RESET,
            format!("the connection to {target}{via} was closed before a complete answer: {detail}"),
        ),
        _ if error.is_connect() => (nt_result::NT_CONNECT_FAILED, format!("could not connect to {target}{via}: {detail}")),
        _ => (
            nt_result::NT_CONNECTION_RESET,
            format!("the exchange with {target}{via} broke off: {detail}"),
        ),
    };
    Error::new(kind, message)
}

/// The causes of `error`, outermost first, without `error` itself.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(error.source(), |cause| cause.source())
}

/// The most specific description among the causes: the innermost, or an outer one that only
/// adds to its text (native-tls appends the certificate verdict to OpenSSL's message, as in
/// "...certificate verify failed... (self-signed certificate)").
pub(crate) fn most_specific_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let texts: Vec<String> = causes(error).map(|cause| cause.to_string()).collect();
    let mut specific = texts
        .last()
        .cloned()
        .unwrap_or_else(|| "no details".to_owned());
    for outer in texts.iter().rev().skip(1) {
        if !outer.starts_with(specific.as_str()) {
            break;
        }
        specific = outer.clone();
    }
    specific
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_call_polls_for_its_answer() {
        // No other unit test makes a call (they stop at argument checks), so this test alone
        // moves the counters. Each step runs on a thread of its own, as a runspace would.
        let on_thread = |f: fn() -> bool| std::thread::spawn(f).join().unwrap();
        on_thread(|| InFlight::enter().alone);
        assert!(
            !on_thread(|| InFlight::enter().alone),
            "a call right after another thread's call is not alone"
        );
        assert!(on_thread(|| {
            // A script's loop: the same thread again, once the other thread's call is long past.
            std::thread::sleep(CONCURRENT_WITHIN * 2);
            drop(InFlight::enter());
            InFlight::enter().alone
        }));
        assert!(
            !on_thread(|| {
                let _first = InFlight::enter();
                InFlight::enter().alone
            }),
            "two calls in flight at once are not alone"
        );
    }

    #[test]
    fn zero_timeout_is_the_default() {
        assert_eq!(timeout_from(1500), Duration::from_millis(1500));
        assert_eq!(timeout_from(0), DEFAULT_TIMEOUT);
    }

    #[test]
    fn retry_delay_honours_retry_after_and_backs_off() {
        for _ in 0..100 {
            let after = retry_delay(1, Some(Duration::from_secs(2)));
            assert!(after >= Duration::from_secs(2) && after <= Duration::from_millis(2500));
            let second = retry_delay(2, None);
            assert!(second >= Duration::from_millis(200) && second <= Duration::from_millis(250));
        }
        assert_eq!(retry_delay(1, Some(Duration::ZERO)), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(RETRY_AFTER, "3600".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn jitter_spreads() {
        let samples: std::collections::HashSet<Duration> =
            (0..50).map(|_| jitter(Duration::from_secs(1))).collect();
        assert!(samples.len() > 10);
        assert!(samples
            .iter()
            .all(|sample| *sample <= Duration::from_secs(1)));
    }

    #[test]
    fn body_growth_keeps_the_content() {
        let mut body = Zeroizing::new(Vec::with_capacity(1));
        for chunk in [&b"abc"[..], b"", b"defgh", b"i"] {
            append_wiping(&mut body, chunk);
        }
        assert_eq!(&body[..], b"abcdefghi");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(seconds_text(Duration::from_millis(250)), "250 ms");
        assert_eq!(seconds_text(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds_text(Duration::from_millis(1050)), "1.05 s");
    }
}
