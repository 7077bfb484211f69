//! The only module that talks to the network: one POST with a deadline, bounded retries, a
//! capped body, cancellation, and failures sorted into the error kinds of the C ABI.
//!
//! Calls run on "lanes" of their configuration (`config::Lane`: a current-thread runtime with
//! its own client), so connections and TLS sessions are reused across calls and each caller
//! drives its own I/O. Here: the call and its loop of attempts. Apart: one attempt (`send`),
//! the retry policy (`retry`), the connections kept between calls (`idle`), the sorting of
//! failures (`classify`), and how the calling thread waits (`crate::wait`).

mod classify;
mod idle;
mod retry;
mod send;

pub(crate) use classify::most_specific_cause;

use crate::cancel::Cancel;
use crate::config::{Config, Lane};
use crate::connection_log;
use crate::error::{nt_result, Error};
use crate::url_check;
use crate::wait::{poll_then_wait, InFlight};
use reqwest::{StatusCode, Url};
use std::time::Duration;
use tokio::time::Instant;
use zeroize::Zeroizing;

/// Timeout when the call gives none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// `timeout` after the call began (when these options were made, as the export was
    /// entered): the timeout covers the whole call, making the default configuration or a new
    /// lane included.
    pub deadline: Instant,
    pub cancel: Option<&'a Cancel>,
}

impl<'a> CallOptions<'a> {
    /// `timeout_ms` 0 is 30 s, counted from now.
    pub fn new(
        config: Option<&'a Config>,
        timeout_ms: u32,
        cancel: Option<&'a Cancel>,
    ) -> CallOptions<'a> {
        let timeout = timeout_from(timeout_ms);
        CallOptions {
            config,
            timeout,
            deadline: Instant::now() + timeout,
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
    if options.cancel.map_or(false, Cancel::is_triggered) {
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
    let deadline = options.deadline;
    let mut attempt = 0;
    let mut retries_made = 0;
    let mut resent_at_once = false;
    loop {
        attempt += 1;
        let attempt_started = Instant::now();
        let kept = lane.kept.take(&origin);
        let idle = if idle::should_settle(kept) {
            idle::settle_idle_connections().await
        } else {
            None
        };
        // Still believed open: not seen closing just now.
        let pooled = kept
            .map(|kept| kept.id)
            .filter(|id| !matches!(&idle, Some(seen) if seen.ended(*id)));
        let recording = connection_log::start();
        let sent =
            tokio::time::timeout_at(deadline, send::send_once(&lane.client, request, proxy)).await;
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
            Ok(reply) => send::status_text(reply.status),
            Err(failure) => failure.error.kind().name().to_owned(),
        };
        let took = seconds_text(attempt_started.elapsed());
        trace.push(format!(
            "attempt {attempt}: POST {target} -> {summary} in {took}"
        ));
        match &mut outcome {
            Ok(reply) => idle::note_connection_kept(
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
                } else if !resent_at_once && idle::failed_on_kept_connection(pooled, seen.as_ref())
                {
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
        let (failure, retry_after) = match retry::judge(outcome, target) {
            retry::Verdict::Final(result) => return result,
            retry::Verdict::Retryable(failure, retry_after) => (failure, retry_after),
        };
        let delay = match retry::next_delay(&failure, retry_after, retries_made, deadline, trace) {
            Some(delay) => delay,
            None => return Err(failure),
        };
        retries_made += 1;
        tokio::time::sleep(delay).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_timeout_is_the_default() {
        assert_eq!(timeout_from(1500), Duration::from_millis(1500));
        assert_eq!(timeout_from(0), DEFAULT_TIMEOUT);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(seconds_text(Duration::from_millis(250)), "250 ms");
        assert_eq!(seconds_text(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds_text(Duration::from_millis(1050)), "1.05 s");
    }
}
