//! One attempt: the request sent, and its answer read whole (up to a cap, wiped on drop), or
//! the failure sorted into an error kind.

use super::classify::classify;
use super::retry::retry_after;
use super::{Answer, Post};
use crate::clock;
use crate::error::Error;
use crate::error_body;
use reqwest::header::{HeaderMap, ACCEPT, CONNECTION, CONTENT_TYPE};
use reqwest::{StatusCode, Version};
use std::time::Duration;
use zeroize::Zeroizing;

/// Largest body read; token answers are a few KiB, anything this big is not one.
const MAX_BODY_BYTES: usize = 1 << 20;

/// What one attempt got back from the server.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) retry_after: Option<Duration>,
    pub(super) body: Zeroizing<Vec<u8>>,
    /// The body was longer than `MAX_BODY_BYTES`; `body` holds its start.
    pub(super) over_limit: bool,
    pub(super) received_at_unix_ms: i64,
    /// The answer left its connection open for the next request (HTTP/1.1 without
    /// `Connection: close`, body read to its end).
    pub(super) keeps_connection: bool,
}

/// An attempt that got no complete answer.
pub(super) struct SendFailure {
    pub(super) error: Error,
    /// No response head arrived, so the request may be repeated (unless the connection log
    /// shows that part of one did: see `post_with_retries`).
    pub(super) before_answer: bool,
    /// It failed while connecting (TCP, proxy tunnel or TLS handshake): no connection carried
    /// the request.
    pub(super) connecting: bool,
}

/// One request and its whole (capped) body.
pub(super) async fn send_once(
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

pub(super) fn answer_from(reply: Reply, target: &str) -> Result<Answer, Error> {
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
pub(super) fn status_error(status: StatusCode, target: &str, body: &[u8]) -> Error {
    Error::http_status(
        status.as_u16(),
        format!(
            "{} from {target}: {}",
            status_text(status),
            error_body::describe(body)
        ),
    )
}

pub(super) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_growth_keeps_the_content() {
        let mut body = Zeroizing::new(Vec::with_capacity(1));
        for chunk in [&b"abc"[..], b"", b"defgh", b"i"] {
            append_wiping(&mut body, chunk);
        }
        assert_eq!(&body[..], b"abcdefghi");
    }
}
