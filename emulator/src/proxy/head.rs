//! The proxy's reading of a request head: what the client asks for (a tunnel or a forwarded
//! request), where to connect, how the body is framed, the log line and the head passed on.

use std::io;

/// What a request asks the proxy to do.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Target {
    /// `CONNECT host:port`: a tunnel.
    Tunnel,
    /// An absolute-form `http://` request, forwarded in origin form.
    Forward,
}

/// How the request body is framed.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum BodyLength {
    Fixed(u64),
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub struct Head {
    pub target: Target,
    pub method: String,
    pub version: String,
    /// `host:port` as the client wrote it (without a port for `http://host/`).
    pub authority: String,
    /// What to connect to: the authority, with port 80 added if it had none.
    pub address: String,
    /// Path and query of an absolute-form request.
    pub path_and_query: String,
    /// The header lines to forward, as received.
    pub headers: Vec<Vec<u8>>,
    pub has_host: bool,
    pub body: BodyLength,
}

impl Head {
    /// The log line: never the query (nor the body, which the head does not hold).
    pub fn log_line(&self) -> String {
        match self.target {
            Target::Tunnel => format!("CONNECT {}", self.authority),
            Target::Forward => {
                let path = self.path_and_query.split('?').next().unwrap_or_default();
                format!("{} http://{}{path}", self.method, self.authority)
            }
        }
    }

    /// The request head as the upstream gets it.
    pub fn origin_form(&self) -> Vec<u8> {
        let mut bytes = format!(
            "{} {} {}\r\n",
            self.method, self.path_and_query, self.version
        )
        .into_bytes();
        if !self.has_host {
            bytes.extend_from_slice(format!("Host: {}\r\n", self.authority).as_bytes());
        }
        for line in &self.headers {
            bytes.extend_from_slice(line);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        bytes
    }
}

/// The error of a request the proxy refuses with 400.
pub fn bad_request(reason: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

/// Parses a request head (request line and header lines, up to and including the blank line).
pub fn parse_head(raw: &[u8]) -> io::Result<Head> {
    let mut lines = raw
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty());
    let request_line = lines.next().unwrap_or_default();
    let request_line =
        std::str::from_utf8(request_line).map_err(|_| bad_request("request line is not ASCII"))?;
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), Some(version), None) => (method, target, version),
        _ => return Err(bad_request("malformed request line")),
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(bad_request("malformed method"));
    }
    if !version.starts_with("HTTP/1.") {
        return Err(bad_request("only HTTP/1.x is supported"));
    }
    // Visible ASCII only: the target goes into the log.
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad_request("malformed request target"));
    }
    let (kind, authority, path_and_query) = split_target(method, target)?;
    let address = if has_port(authority) {
        authority.to_owned()
    } else if kind == Target::Forward {
        format!("{authority}:80")
    } else {
        return Err(bad_request("CONNECT needs host:port"));
    };

    let mut head = Head {
        target: kind,
        method: method.to_owned(),
        version: version.to_owned(),
        authority: authority.to_owned(),
        address,
        path_and_query,
        headers: Vec::new(),
        has_host: false,
        body: BodyLength::Fixed(0),
    };
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| bad_request("malformed header line"))?;
        let name = std::str::from_utf8(&line[..colon])
            .ok()
            .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| bad_request("malformed header name"))?
            .to_ascii_lowercase();
        let value = String::from_utf8_lossy(&line[colon + 1..]);
        let value = value.trim();
        match name.as_str() {
            "proxy-connection" | "proxy-authorization" => continue,
            "host" => head.has_host = true,
            "content-length" => {
                let length: u64 = value
                    .parse()
                    .map_err(|_| bad_request("malformed Content-Length"))?;
                if matches!(content_length, Some(earlier) if earlier != length) {
                    return Err(bad_request("conflicting Content-Length headers"));
                }
                content_length = Some(length);
            }
            "transfer-encoding" => {
                let last = value.rsplit(',').next().unwrap_or_default().trim();
                if !last.eq_ignore_ascii_case("chunked") {
                    return Err(bad_request("unsupported Transfer-Encoding"));
                }
                chunked = true;
            }
            _ => {}
        }
        head.headers.push(line.to_vec());
    }
    head.body = match (chunked, content_length) {
        (true, Some(_)) => return Err(bad_request("both Content-Length and Transfer-Encoding")),
        (true, None) => BodyLength::Chunked,
        (false, length) => BodyLength::Fixed(length.unwrap_or(0)),
    };
    Ok(head)
}

/// The kind of request, its authority and (absolute form) its path and query.
fn split_target<'a>(method: &str, target: &'a str) -> io::Result<(Target, &'a str, String)> {
    if method == "CONNECT" {
        return Ok((Target::Tunnel, target, String::new()));
    }
    let rest = target
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &target[7..])
        .ok_or_else(|| bad_request("the proxy takes CONNECT host:port or http:// URLs"))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(end);
    if authority.is_empty() || authority.contains('@') {
        return Err(bad_request("malformed authority"));
    }
    let path_and_query = match path_and_query.strip_prefix('?') {
        Some(query) => format!("/?{query}"),
        None if path_and_query.is_empty() => "/".to_owned(),
        None => path_and_query.to_owned(),
    };
    Ok((Target::Forward, authority, path_and_query))
}

/// Whether `host:port` (or `[v6]:port`) ends with a port.
fn has_port(authority: &str) -> bool {
    match authority.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && (host.starts_with('[') == host.ends_with(']'))
                && !port.is_empty()
                && port.parse::<u16>().is_ok()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> io::Result<Head> {
        parse_head(text.as_bytes())
    }

    /// Checks what the proxy makes of an absolute-form request: where it connects, what it logs
    /// and the head it sends upstream.
    fn assert_forwarded(text: &str, address: &str, log_line: &str, origin_form: &str) -> Head {
        let head = head(text).unwrap();
        assert_eq!(head.target, Target::Forward);
        assert_eq!(head.address, address);
        assert_eq!(head.log_line(), log_line);
        assert_eq!(String::from_utf8(head.origin_form()).unwrap(), origin_form);
        head
    }

    #[test]
    fn absolute_form_becomes_origin_form_without_proxy_headers() {
        let head = assert_forwarded(
            "POST http://127.0.0.1:8080/v1/token?secret=x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
             Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic c2VjcmV0\r\n\
             Content-Length: 5\r\n\r\n",
            "127.0.0.1:8080",
            "POST http://127.0.0.1:8080/v1/token",
            "POST /v1/token?secret=x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 5\r\n\r\n",
        );
        assert_eq!(head.body, BodyLength::Fixed(5));
    }

    #[test]
    fn missing_path_port_and_host_are_filled_in() {
        assert_forwarded(
            "GET http://example.test?q=1 HTTP/1.0\r\n\r\n",
            "example.test:80",
            "GET http://example.test/",
            "GET /?q=1 HTTP/1.0\r\nHost: example.test\r\n\r\n",
        );
    }

    #[test]
    fn connect_names_host_and_port() {
        let head = head("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n").unwrap();
        assert_eq!(head.target, Target::Tunnel);
        assert_eq!(head.address, "[::1]:443");
        assert_eq!(head.log_line(), "CONNECT [::1]:443");
    }

    #[test]
    fn chunked_bodies_are_framed() {
        let head =
            head("POST http://h:1/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").unwrap();
        assert_eq!(head.body, BodyLength::Chunked);
    }

    #[test]
    fn refuses_what_it_cannot_forward() {
        for text in [
            "GET /origin-form HTTP/1.1\r\n\r\n",
            "GET https://h:1/ HTTP/1.1\r\n\r\n",
            "CONNECT host-without-port HTTP/1.1\r\n\r\n",
            "GET http://user@h:1/ HTTP/1.1\r\n\r\n",
            "GET http://h:1/ HTTP/2\r\n\r\n",
            "GET  http://h:1/ HTTP/1.1\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
            "POST http://h:1/ HTTP/1.1\r\nNo colon\r\n\r\n",
        ] {
            let error = head(text).expect_err(text);
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{text}");
        }
    }
}
