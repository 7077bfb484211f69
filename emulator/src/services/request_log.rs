//! The request log: one line per request on stderr, and appended to a file when asked.
//! It never holds a JWT, code, password or token: only the route, query fault specs and the
//! assertion's `sub`.

use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::{Method, Uri};

use crate::line_log::LineLog;

pub struct RequestLog {
    lines: LineLog,
}

/// One handled request.
pub struct Entry<'a> {
    pub listener: &'a str,
    pub method: &'a Method,
    pub target: &'a str,
    /// The status code, or what happened instead (`hang`, `drop`).
    pub outcome: &'a str,
    pub elapsed: Duration,
    pub sub: Option<&'a str>,
    pub fault: Option<&'a str>,
}

impl RequestLog {
    pub fn open(path: Option<&Path>) -> io::Result<Self> {
        LineLog::open(path).map(|lines| RequestLog { lines })
    }

    pub fn request(&self, entry: &Entry) {
        let mut line = format!(
            "{} {} {} {} {} {}ms",
            utc_timestamp(SystemTime::now()),
            entry.listener,
            entry.method,
            entry.target,
            entry.outcome,
            entry.elapsed.as_millis()
        );
        if let Some(sub) = entry.sub {
            // Debug formatting quotes and escapes it, so a crafted claim cannot forge log lines.
            line.push_str(&format!(" sub={sub:?}"));
        }
        if let Some(fault) = entry.fault {
            line.push_str(&format!(" fault={fault}"));
        }
        self.lines.line(&line);
    }

    /// Something that is not a request, such as a failed TLS handshake.
    pub fn note(&self, listener: &str, message: &str) {
        self.lines.line(&format!(
            "{} {listener} note: {message}",
            utc_timestamp(SystemTime::now())
        ));
    }
}

/// The path and the query, with every parameter but `fault` redacted in case a client put a
/// secret there (a parameter without `=` may be a bare value, so its name goes too).
pub fn loggable_target(uri: &Uri) -> String {
    let query = match uri.query() {
        Some(query) => query,
        None => return uri.path().to_owned(),
    };
    let parameters: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some(("fault", _)) => parameter.to_owned(),
            Some((name, _)) => format!("{name}=<redacted>"),
            None => "<redacted>".to_owned(),
        })
        .collect();
    format!("{}?{}", uri.path(), parameters.join("&"))
}

/// ISO 8601 UTC with milliseconds, e.g. `2024-02-29T13:05:09.042Z`.
fn utc_timestamp(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_date(seconds / 86_400);
    let second_of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        since_epoch.subsec_millis()
    )
}

/// Gregorian year, month and day of a day count since 1970-01-01: whole years off first, then
/// whole months (a log line's date, so clarity over speed).
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    let is_leap = |year: u64| year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let (mut year, mut days_left) = (1970, days_since_epoch);
    loop {
        let days_in_year = if is_leap(year) { 366 } else { 365 };
        if days_left < days_in_year {
            break;
        }
        days_left -= days_in_year;
        year += 1;
    }
    let february = if is_leap(year) { 29 } else { 28 };
    let month_lengths = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for length in month_lengths {
        if days_left < length {
            break;
        }
        days_left -= length;
        month += 1;
    }
    (year, month, days_left + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_iso_8601() {
        let at =
            |seconds: u64, millis: u64| UNIX_EPOCH + Duration::from_millis(seconds * 1000 + millis);
        assert_eq!(utc_timestamp(at(0, 0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            utc_timestamp(at(951_782_400, 7)),
            "2000-02-29T00:00:00.007Z"
        );
        assert_eq!(
            utc_timestamp(at(1_709_211_909, 42)),
            "2024-02-29T13:05:09.042Z"
        );
        assert_eq!(
            utc_timestamp(at(4_102_444_799, 999)),
            "2099-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn only_fault_parameters_keep_their_values() {
        let uri: Uri = "/auth/token?fault=503%3D1*2&code=secret&eyJhbGciOi"
            .parse()
            .unwrap();
        assert_eq!(
            loggable_target(&uri),
            "/auth/token?fault=503%3D1*2&code=<redacted>&<redacted>"
        );
        let uri: Uri = "/auth/token".parse().unwrap();
        assert_eq!(loggable_target(&uri), "/auth/token");
    }
}
