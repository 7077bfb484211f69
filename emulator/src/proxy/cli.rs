//! native-token-proxy's command line.

use std::path::PathBuf;

use crate::args::{Args, Command};

pub const USAGE: &str = "\
Usage: native-token-proxy [OPTIONS]

A forward HTTP proxy on 127.0.0.1 for tests: tunnels `CONNECT host:port` and forwards
absolute-form requests (`POST http://host:port/path HTTP/1.1`) in origin form, without the
Proxy-Connection and Proxy-Authorization headers. An upstream that cannot be reached gets 502.

Options:
  --port N      port to listen on (default 0: a free port)
  --log PATH    also append the request log to PATH (it always goes to stderr)
  --help        show this help

On start it prints, then serves until SIGTERM or SIGINT:
  proxy: http://127.0.0.1:PORT
  ready

The log has one line per request: `CONNECT host:port` or `METHOD http://host:port/path` (never
the query or the body), with ` -> 502 Bad Gateway (reason)` added when the upstream could not be
reached.
";

pub struct Options {
    pub port: u16,
    pub log_path: Option<PathBuf>,
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command<Options>, String> {
    let mut options = Options {
        port: 0,
        log_path: None,
    };
    let mut args = Args::new(args);
    while let Some(flag) = args.next_flag() {
        match flag.name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--port" => options.port = args.port(&flag)?,
            "--log" => options.log_path = Some(args.path(&flag)?),
            _ => return Err(flag.unknown()),
        }
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let parse = |args: &[&str]| parse(args.iter().map(|a| a.to_string()));
        let options = match parse(&["--port=8080", "--log", "/tmp/x.log"]) {
            Ok(Command::Run(options)) => options,
            _ => panic!("options expected"),
        };
        assert_eq!(options.port, 8080);
        assert_eq!(options.log_path, Some(PathBuf::from("/tmp/x.log")));
        assert!(matches!(parse(&["--help"]), Ok(Command::Help)));
        for bad in [&["--port", "70000"][..], &["--log"], &["--bogus"]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
