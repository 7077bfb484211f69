//! What a lane's connections did during one attempt, read from reqwest's connection log, and
//! which pooled connection a lane expects to reuse for each origin. `http` uses both to tell a
//! pooled connection the server closed (send again at once on a new connection) from a server
//! that began answering and broke off (never send again): docs/ERRORS.md, "Retries".
//!
//! reqwest (`ClientBuilder::connection_verbose`) logs one TRACE record per read on a connection
//! (and per write over TLS), `<id> read: b"<bytes>"`, naming the connection by a random id. The
//! records are formatted only up to the first byte read, so the bytes (secrets: token requests
//! and answers) are never formatted, let alone kept. A lane's I/O runs only on the thread that
//! drives its runtime (`config::Lane`), so a thread-local recorder sees exactly the lane's
//! connections.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::Instant;

/// reqwest's module that logs connection I/O.
const VERBOSE_TARGET: &str = "reqwest::connect::verbose";
/// `xxxxxxxx read: b"` and the first escaped byte (or the closing quote of an empty read).
const READ_PREFIX_LEN: usize = 18;
/// Connections remembered per attempt; a lane uses one at a time, others can only be idle ones
/// closing.
const MAX_CONNECTIONS_SEEN: usize = 8;

/// What one connection did while recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionSeen {
    pub id: u32,
    /// At least one byte was read from it.
    pub read_data: bool,
    /// A read found the end of the stream (the server's FIN or TLS close_notify).
    pub read_end: bool,
}

/// The connections that read or wrote while recording, in order of their first event.
#[derive(Default, Debug)]
pub struct Observed {
    connections: Vec<ConnectionSeen>,
}

impl Observed {
    fn note(&mut self, id: u32, read: Option<bool>) {
        let index = match self.connections.iter().position(|seen| seen.id == id) {
            Some(index) => index,
            None if self.connections.len() < MAX_CONNECTIONS_SEEN => {
                self.connections.push(ConnectionSeen {
                    id,
                    read_data: false,
                    read_end: false,
                });
                self.connections.len() - 1
            }
            None => return,
        };
        let seen = &mut self.connections[index];
        match read {
            Some(true) => seen.read_data = true,
            Some(false) => seen.read_end = true,
            None => {}
        }
    }

    /// Some connection received bytes: if the attempt failed, the server had begun answering.
    pub fn any_data_read(&self) -> bool {
        self.connections.iter().any(|seen| seen.read_data)
    }

    /// The connection that received the answer.
    pub fn answering_connection(&self) -> Option<u32> {
        self.connections
            .iter()
            .rev()
            .find(|seen| seen.read_data)
            .map(|seen| seen.id)
    }

    /// The connection `id` found its end.
    pub fn ended(&self, id: u32) -> bool {
        self.connections
            .iter()
            .any(|seen| seen.id == id && seen.read_end)
    }

    /// No connection but `id` was seen (none at all counts: a reset is not logged).
    pub fn only_on(&self, id: u32) -> bool {
        self.connections.iter().all(|seen| seen.id == id)
    }
}

thread_local! {
    static RECORDING: RefCell<Option<Observed>> = const { RefCell::new(None) };
}

/// Starts recording this thread's connection I/O. Returns false (and records nothing) when
/// the log cannot be read, because the process had another logger first.
pub fn start() -> bool {
    if !install() {
        return false;
    }
    RECORDING.with(|recording| *recording.borrow_mut() = Some(Observed::default()));
    true
}

/// Whether the connection log can be read (see `install`).
pub fn available() -> bool {
    install()
}

/// What was recorded since `start`, if it was recording.
pub fn finish() -> Option<Observed> {
    RECORDING.with(|recording| recording.borrow_mut().take())
}

/// Makes this module the process's logger (within this library: the host's own logging is not
/// affected), once. False if another logger of this library's copy of `log` was set first,
/// which only a Rust program linking the library as a crate can do.
pub fn install() -> bool {
    static INSTALLED: once_cell::sync::OnceCell<bool> = once_cell::sync::OnceCell::new();
    *INSTALLED.get_or_init(|| {
        let installed = log::set_logger(&RECORDER).is_ok();
        if installed {
            log::set_max_level(log::LevelFilter::Trace);
        }
        installed
    })
}

struct Recorder;

static RECORDER: Recorder = Recorder;

impl log::Log for Recorder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == VERBOSE_TARGET
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.target() != VERBOSE_TARGET {
            return;
        }
        let _ = RECORDING.try_with(|recording| {
            if let Ok(mut recording) = recording.try_borrow_mut() {
                if let Some(observed) = recording.as_mut() {
                    if let Some((id, read)) = parse_event(record.args()) {
                        observed.note(id, read);
                    }
                }
            }
        });
    }

    fn flush(&self) {}
}

/// A connection event: its id, and for a read whether bytes came (Some(true)) or the end of the
/// stream (Some(false)); None for a write.
fn parse_event(args: &fmt::Arguments<'_>) -> Option<(u32, Option<bool>)> {
    let mut head = Head::default();
    // Stops with an error once the head is full: the rest is never formatted.
    let _ = head.write_fmt(*args);
    let text = std::str::from_utf8(&head.bytes[..head.len]).ok()?;
    let (id, rest) = text.split_at(text.find(' ')?);
    let id = u32::from_str_radix(id, 16).ok()?;
    if let Some(read) = rest.strip_prefix(" read: b\"") {
        return Some((id, Some(!read.is_empty() && read != "\"")));
    }
    rest.starts_with(" write: ").then_some((id, None))
}

/// The first `READ_PREFIX_LEN` bytes of a formatted record.
#[derive(Default)]
struct Head {
    bytes: [u8; READ_PREFIX_LEN],
    len: usize,
}

impl fmt::Write for Head {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = READ_PREFIX_LEN - self.len;
        let taken = text.len().min(room);
        self.bytes[self.len..self.len + taken].copy_from_slice(&text.as_bytes()[..taken]);
        self.len += taken;
        if self.len == READ_PREFIX_LEN {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// A connection left open for reuse by the answer it carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kept {
    pub id: u32,
    /// When its answer ended (it has been idle since).
    pub since: Instant,
}

/// For each origin, the connection that carried its last answer while that connection stays
/// open for reuse (the answer did not close it). A lane serves one call at a time, to a few
/// origins: entries are kept (and updated in place) once made.
#[derive(Default)]
pub struct KeptConnections {
    by_origin: RefCell<Vec<(String, Option<Kept>)>>,
}

impl KeptConnections {
    /// The connection kept for `origin`, forgotten here: the attempt that takes it either
    /// leaves it open again (`keep`) or not.
    pub fn take(&self, origin: &str) -> Option<Kept> {
        let mut kept = self.by_origin.borrow_mut();
        let entry = kept.iter_mut().find(|(kept_for, _)| kept_for == origin)?;
        entry.1.take()
    }

    pub fn keep(&self, origin: &str, id: u32) {
        let connection = Some(Kept {
            id,
            since: Instant::now(),
        });
        let mut kept = self.by_origin.borrow_mut();
        match kept.iter_mut().find(|(kept_for, _)| kept_for == origin) {
            Some(entry) => entry.1 = connection,
            None => kept.push((origin.to_owned(), connection)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(args: fmt::Arguments<'_>) -> Option<(u32, Option<bool>)> {
        parse_event(&args)
    }

    #[test]
    fn reads_and_writes_are_told_apart_without_formatting_the_bytes() {
        struct Secret;
        impl fmt::Debug for Secret {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("b\"H")?;
                panic!("formatted past the first byte")
            }
        }
        assert_eq!(
            event(format_args!("{:08x} read: {:?}", 0x1a2b_u32, Secret)),
            Some((0x1a2b, Some(true)))
        );
        assert_eq!(
            event(format_args!("{:08x} read: {}", 7_u32, "b\"\"")),
            Some((7, Some(false)))
        );
        assert_eq!(
            event(format_args!("{:08x} write: {:?}", u32::MAX, Secret)),
            Some((u32::MAX, None))
        );
        assert_eq!(event(format_args!("something else")), None);
    }

    #[test]
    fn observations_say_which_connection_answered_and_which_ended() {
        let mut observed = Observed::default();
        observed.note(1, Some(false));
        observed.note(2, None);
        observed.note(2, Some(true));
        assert!(observed.ended(1) && !observed.ended(2));
        assert_eq!(observed.answering_connection(), Some(2));
        assert!(observed.any_data_read() && !observed.only_on(2));
        assert!(Observed::default().only_on(9));
    }

    #[test]
    fn a_kept_connection_is_taken_once() {
        let kept = KeptConnections::default();
        kept.keep("http://a", 1);
        kept.keep("http://a", 2);
        assert_eq!(kept.take("http://a").map(|kept| kept.id), Some(2));
        assert_eq!(kept.take("http://a"), None);
    }
}
