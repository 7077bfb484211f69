//! The retry policy: which outcomes are worth another attempt, how many attempts a call makes,
//! and how long it waits before each (docs/ERRORS.md, "Retries").

use super::send::{answer_from, status_error, Reply, SendFailure};
use super::{seconds_text, Answer};
use crate::clock;
use crate::error::{nt_result, Error};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::time::Duration;
use tokio::time::Instant;

/// One attempt plus at most two retries.
const MAX_ATTEMPTS: u32 = 3;
/// Longest wait honoured from a `Retry-After` header; a token call should not stall longer.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Wait before the first retry when the server gave no `Retry-After`; doubles per retry. Short:
/// these are refused or dropped connections, where a quick second try is what helps.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// What an attempt's outcome means for the call.
pub(super) enum Verdict {
    /// The call's result: an answer, or a failure that another attempt would not fix.
    Final(Result<Answer, Error>),
    /// A failure worth another attempt, after the server's `Retry-After` if it gave one.
    Retryable(Error, Option<Duration>),
}

/// Retryable are 429 and 503, and connections refused or dropped before any answer (the
/// request cannot have been acted on). Everything else is final.
pub(super) fn judge(outcome: Result<Reply, SendFailure>, target: &str) -> Verdict {
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

/// The wait before the next attempt, after `retries_made` retries, for `failure` (retryable),
/// with the line saying why in the trace; None (and the line saying why not) when the call
/// has made all its retries or the wait would pass its `deadline`.
pub(super) fn next_delay(
    failure: &Error,
    retry_after: Option<Duration>,
    retries_made: u32,
    deadline: Instant,
    trace: &mut Vec<String>,
) -> Option<Duration> {
    if retries_made == MAX_ATTEMPTS - 1 {
        trace.push(format!("not retried: {retries_made} retries made already"));
        return None;
    }
    let delay = retry_delay(retries_made + 1, retry_after);
    if Instant::now() + delay >= deadline {
        trace.push(format!(
            "not retried: waiting {} would pass the timeout",
            seconds_text(delay)
        ));
        return None;
    }
    let reason = retry_after.map_or_else(
        || format!("{} is transient", failure.kind().name()),
        |after| retry_after_reason(after, delay),
    );
    trace.push(format!(
        "retrying in {} because {reason}",
        seconds_text(delay)
    ));
    Some(delay)
}

/// `Retry-After` in seconds, as the server sent it (`retry_delay` caps it); the HTTP-date form
/// is ignored (backoff applies instead).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The wait before retry number `attempt`: the server's `Retry-After` up to
/// `MAX_RETRY_AFTER`, else exponential backoff; plus up to a quarter more, so that many clients
/// refused together do not return together.
fn retry_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let base = retry_after.map_or(FIRST_BACKOFF * 2u32.pow(attempt - 1), |after| {
        after.min(MAX_RETRY_AFTER)
    });
    base + jitter(base / 4)
}

/// Why a retry waits `delay` after the server sent `Retry-After: after`, for the trace: what
/// the server asked for, and what the cap and the jitter made of it.
fn retry_after_reason(after: Duration, delay: Duration) -> String {
    let honoured = after.min(MAX_RETRY_AFTER);
    let mut adjustments = Vec::new();
    if after > MAX_RETRY_AFTER {
        adjustments.push(format!("capped at {}", seconds_text(MAX_RETRY_AFTER)));
    }
    let jitter = delay.saturating_sub(honoured);
    if !jitter.is_zero() {
        adjustments.push(format!("plus {} of jitter", seconds_text(jitter)));
    }
    let sent = format!("the server sent Retry-After: {}", after.as_secs());
    if adjustments.is_empty() {
        sent
    } else {
        format!("{sent} ({})", adjustments.join(", "))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3600)));
        for _ in 0..100 {
            let capped = retry_delay(1, Some(Duration::from_secs(3600)));
            assert!(capped >= MAX_RETRY_AFTER && capped <= MAX_RETRY_AFTER * 5 / 4);
        }
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
    fn retry_after_reasons_say_what_was_sent_and_what_was_made_of_it() {
        let secs = Duration::from_secs;
        assert_eq!(
            retry_after_reason(secs(10), Duration::from_millis(5_700)),
            "the server sent Retry-After: 10 (capped at 5 s, plus 700 ms of jitter)"
        );
        assert_eq!(
            retry_after_reason(secs(2), Duration::from_millis(2_250)),
            "the server sent Retry-After: 2 (plus 250 ms of jitter)"
        );
        assert_eq!(
            retry_after_reason(secs(3600), secs(5)),
            "the server sent Retry-After: 3600 (capped at 5 s)"
        );
        assert_eq!(
            retry_after_reason(Duration::ZERO, Duration::ZERO),
            "the server sent Retry-After: 0"
        );
    }
}
