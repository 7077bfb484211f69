//! Command-line options.

use std::path::PathBuf;

use crate::args::{Args, Command};
use crate::services::faults::{self, FaultSpec};
use crate::services::idle::{self, IdleClose, KeepAlive};

pub const USAGE: &str = "\
Usage: native-token-emulator [OPTIONS]

Emulates the TLS Protect Cloud and Armor token services on 127.0.0.1, over HTTP and HTTPS.

Options:
  --http-port N       HTTP port (default 0: a free port)
  --https-port N      HTTPS port (default 0: a free port)
  --no-http           do not start the HTTP listener
  --no-https          do not start the HTTPS listener
  --cert-out PATH     write the self-signed certificate (PEM) to PATH
  --cert-names LIST   comma-separated certificate names; IP addresses become IP names
                      (default localhost,127.0.0.1,::1)
  --fault SPEC        apply a fault to every route (a ?fault=SPEC query parameter wins)
  --log PATH          also append the request log to PATH (it always goes to stderr)
  --keepalive-timeout SECS
                      close a connection that stays idle (between requests) this long, like
                      a real service (fractions allowed, e.g. 0.3; default: never)
  --idle-close MODE   how such a connection is closed: close-notify (TLS close_notify, then
                      FIN; the default), fin (FIN without close_notify) or reset (RST, with
                      SO_LINGER 0)
  --help              show this help

On start it prints, then serves until SIGTERM or SIGINT:
  http: http://127.0.0.1:PORT
  https: https://127.0.0.1:PORT
  cert: /absolute/path/to/cert.pem
  ready

Routes:
  POST /v1/oauth2/v2.0/{tenant-guid}/token   TLSPC client-credentials grant with a JWT assertion
  POST /auth/authorize                       Armor: {\"username\",\"password\"} -> code
                                             (password \"wrong\" is refused)
  POST /auth/token                           Armor: {\"code\",\"grant_type\"} -> access token
  POST /auth/token/reissue                   Armor: {\"token\"} -> new access token
  GET  /_emulator/stats                      requests received per route

Fault SPEC: MODE[*COUNT], applied to the first COUNT requests per spec and path (always
without *COUNT). Modes:
  delay=MS  hang  status=CODE  429=SECONDS  503=SECONDS  oauth-error  html  plain  empty
  invalid-json  missing-token  wrong-type  bad-expiry  huge  drop  reset
";

pub struct Options {
    /// None when the listener is disabled; Some(0) picks a free port.
    pub http_port: Option<u16>,
    pub https_port: Option<u16>,
    pub cert_out: Option<PathBuf>,
    pub cert_names: Vec<String>,
    pub fault: Option<FaultSpec>,
    pub log_path: Option<PathBuf>,
    /// None: idle connections stay open.
    pub keep_alive: Option<KeepAlive>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            http_port: Some(0),
            https_port: Some(0),
            cert_out: None,
            cert_names: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            fault: None,
            log_path: None,
            keep_alive: None,
        }
    }
}

/// Parses the arguments (without the program name). Accepts `--flag VALUE` and `--flag=VALUE`.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command<Options>, String> {
    let mut options = Options::default();
    let (mut no_http, mut no_https) = (false, false);
    let mut idle_close = None;
    let mut args = Args::new(args);
    while let Some(flag) = args.next_flag() {
        match flag.name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--no-http" => no_http = true,
            "--no-https" => no_https = true,
            "--http-port" => options.http_port = Some(args.port(&flag)?),
            "--https-port" => options.https_port = Some(args.port(&flag)?),
            "--cert-out" => options.cert_out = Some(args.path(&flag)?),
            "--cert-names" => options.cert_names = parse_names(&args.value(&flag)?)?,
            "--fault" => options.fault = Some(faults::parse(&args.value(&flag)?)?),
            "--log" => options.log_path = Some(args.path(&flag)?),
            "--keepalive-timeout" => {
                options.keep_alive = Some(KeepAlive {
                    timeout: idle::parse_timeout(&args.value(&flag)?)?,
                    close: IdleClose::CloseNotify,
                })
            }
            "--idle-close" => idle_close = Some(IdleClose::parse(&args.value(&flag)?)?),
            _ => return Err(flag.unknown()),
        }
    }
    if no_http {
        options.http_port = None;
    }
    if no_https {
        options.https_port = None;
    }
    match (&mut options.keep_alive, idle_close) {
        (Some(keep_alive), Some(close)) => keep_alive.close = close,
        (None, Some(_)) => return Err("--idle-close needs --keepalive-timeout".into()),
        _ => {}
    }
    if options.http_port.is_none() && options.https_port.is_none() {
        return Err("--no-http and --no-https leave nothing to serve".into());
    }
    Ok(Command::Run(options))
}

fn parse_names(list: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err("--cert-names needs at least one name".into());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_options(args: &[&str]) -> Options {
        match parse(args.iter().map(|a| a.to_string())) {
            Ok(Command::Run(options)) => options,
            Ok(Command::Help) => panic!("unexpected help"),
            Err(message) => panic!("unexpected error: {message}"),
        }
    }

    #[test]
    fn defaults_serve_both_listeners_on_free_ports() {
        let options = run_options(&[]);
        assert_eq!((options.http_port, options.https_port), (Some(0), Some(0)));
        assert_eq!(options.cert_names, ["localhost", "127.0.0.1", "::1"]);
    }

    #[test]
    fn accepts_separate_and_inline_values() {
        let options = run_options(&[
            "--http-port",
            "8080",
            "--no-https",
            "--fault=503=2*1",
            "--cert-names= a, ,b",
            "--keepalive-timeout=0.25",
            "--idle-close",
            "reset",
        ]);
        let keep_alive = options.keep_alive.expect("a keep-alive timeout");
        assert_eq!(
            (keep_alive.timeout, keep_alive.close),
            (std::time::Duration::from_millis(250), IdleClose::Reset)
        );
        assert_eq!((options.http_port, options.https_port), (Some(8080), None));
        assert_eq!(options.fault.map(|f| f.text), Some("503=2*1".to_owned()));
        assert_eq!(options.cert_names, ["a", "b"]);
    }

    #[test]
    fn rejects_bad_input() {
        for args in [
            &["--no-http", "--no-https"][..],
            &["--http-port", "70000"],
            &["--fault", "nonsense"],
            &["--log"],
            &["--bogus"],
            &["--keepalive-timeout", "0"],
            &["--idle-close", "fin"],
            &["--keepalive-timeout", "1", "--idle-close", "rst"],
        ] {
            assert!(
                parse(args.iter().map(|a| a.to_string())).is_err(),
                "{args:?}"
            );
        }
    }
}
