//! The connections a lane keeps between calls: looking for a close the server sent while one
//! was idle, before a request picks it, and remembering which connection an answer left open.

use super::send::Reply;
use crate::config::Lane;
use crate::connection_log::{self, Kept, Observed};
use std::time::Duration;

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

/// Whether to look for a close before sending, given the connection kept for the origin: when
/// it has been idle a while, or whenever the connection log is unavailable (then nothing is
/// known of kept connections).
pub(super) fn should_settle(kept: Option<Kept>) -> bool {
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
pub(super) async fn settle_idle_connections() -> Option<Observed> {
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
pub(super) fn failed_on_kept_connection(pooled: Option<u32>, seen: Option<&Observed>) -> bool {
    match (pooled, seen) {
        (Some(id), Some(seen)) => seen.only_on(id),
        _ => false,
    }
}

/// Remembers the connection that carried `reply` if it stays open, and says in the trace when
/// the connection kept from an earlier answer was not the one used (the server had closed it).
pub(super) fn note_connection_kept(
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
