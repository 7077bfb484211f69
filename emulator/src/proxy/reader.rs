//! The proxy's reading of a client connection: request heads, and request bodies passed on to
//! the upstream as they are framed (Content-Length or chunked coding).

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::proxy::head::{bad_request, BodyLength};

/// A longer request head is refused (400).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Reads request heads and bodies from the client, keeping what arrived beyond them.
pub struct RequestReader {
    stream: OwnedReadHalf,
    buffered: Vec<u8>,
}

impl RequestReader {
    pub fn new(stream: OwnedReadHalf) -> Self {
        RequestReader {
            stream,
            buffered: Vec::new(),
        }
    }

    pub fn into_parts(self) -> (OwnedReadHalf, Vec<u8>) {
        (self.stream, self.buffered)
    }

    /// Reads more from the client; 0 at the end of its stream.
    async fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0; 16 * 1024];
        let read = self.stream.read(&mut chunk).await?;
        self.buffered.extend_from_slice(&chunk[..read]);
        Ok(read)
    }

    /// The next request head, blank line included; None if the client closed between requests.
    pub async fn next_head(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            // Blank lines before a request line are allowed (RFC 9112, section 2.2).
            let blank = self
                .buffered
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            self.buffered.drain(..blank);
            if let Some(end) = find(&self.buffered, b"\r\n\r\n") {
                return Ok(Some(self.buffered.drain(..end + 4).collect()));
            }
            if self.buffered.len() > MAX_HEAD_BYTES {
                return Err(bad_request("request head too large"));
            }
            if self.fill().await? == 0 {
                return match self.buffered.is_empty() {
                    true => Ok(None),
                    false => Err(io::ErrorKind::UnexpectedEof.into()),
                };
            }
        }
    }

    /// Passes the request body on to the upstream.
    pub async fn relay_body(
        &mut self,
        body: BodyLength,
        to: &mut OwnedWriteHalf,
    ) -> io::Result<()> {
        match body {
            BodyLength::Fixed(length) => self.relay_exact(length, to).await,
            BodyLength::Chunked => loop {
                let size_line = self.read_line().await?;
                to.write_all(&size_line).await?;
                let size = std::str::from_utf8(&size_line)
                    .ok()
                    .and_then(|line| line.split(';').next())
                    .and_then(|size| u64::from_str_radix(size.trim(), 16).ok())
                    .ok_or_else(|| bad_request("malformed chunk size"))?;
                if size == 0 {
                    // Trailer lines, up to and including the blank line.
                    loop {
                        let line = self.read_line().await?;
                        to.write_all(&line).await?;
                        if line == b"\r\n" || line == b"\n" {
                            return Ok(());
                        }
                    }
                }
                self.relay_exact(size + 2, to).await?; // the data and its CRLF
            },
        }
    }

    /// Reads and drops what the client still sends, until it stops or `time` is up.
    pub async fn discard_incoming(&mut self, time: Duration) {
        let _ = tokio::time::timeout(time, async {
            while let Ok(1..) = self.fill().await {
                self.buffered.clear();
            }
        })
        .await;
    }

    async fn relay_exact(&mut self, mut remaining: u64, to: &mut OwnedWriteHalf) -> io::Result<()> {
        while remaining > 0 {
            if self.buffered.is_empty() && self.fill().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let take = self
                .buffered
                .len()
                .min(usize::try_from(remaining).unwrap_or(usize::MAX));
            to.write_all(&self.buffered[..take]).await?;
            self.buffered.drain(..take);
            remaining -= take as u64;
        }
        Ok(())
    }

    /// One line, its line feed included.
    async fn read_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(end) = self.buffered.iter().position(|&b| b == b'\n') {
                return Ok(self.buffered.drain(..=end).collect());
            }
            if self.buffered.len() > MAX_HEAD_BYTES {
                return Err(bad_request("chunk line too long"));
            }
            if self.fill().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
