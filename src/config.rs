//! What a caller sets around its calls (a proxy, extra trusted CAs), built once with a builder
//! and shared by every call made with it, with the pool of connections those calls reuse.
//!
//! Nothing here reads the environment: the caller says what applies (the PowerShell module reads
//! `HTTPS_PROXY`, `SSL_CERT_FILE` and the rest from PowerShell's own environment per call).

use crate::connection_log::KeptConnections;
use crate::error::{nt_result, Error};
use crate::url_check;
use native_tls::{Certificate, TlsConnector};
use once_cell::sync::OnceCell;
use reqwest::Url;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

const USER_AGENT: &str = concat!("NativeToken/", env!("CARGO_PKG_VERSION"));
/// A certificate file is a few KiB; a system bundle a few hundred. Anything this big is not one.
const MAX_CA_FILE_BYTES: u64 = 16 << 20;

/// Settings being gathered for a configuration (opaque). Made with `nt_config_builder_new`,
/// filled with the `nt_config_builder_*` setters, turned into an `nt_config` (and freed) by
/// `nt_config_builder_build`, or freed with `nt_config_builder_free`.
#[derive(Default)]
pub struct ConfigBuilder {
    proxy: Option<ProxyUrl>,
    extra_roots: Vec<Certificate>,
    /// Files whose certificates are in `extra_roots`, by canonical path: a CA directory is mostly
    /// symlinks (hash names and bundle members) to the same few files, each worth reading once.
    files_read: HashSet<PathBuf>,
}

/// Settings for calls, and the connections they reuse (opaque). Made by
/// `nt_config_builder_build`, shared by any number of calls and threads, freed once with
/// `nt_config_free`.
pub struct Config {
    proxy: Option<ProxyUrl>,
    /// The TLS set-up every client of the configuration shares: loading the trust store is
    /// the costly part of making a client (it parses the whole system bundle), so it is done
    /// once per configuration, not once per lane.
    tls: TlsConnector,
    /// Lanes not in use; the most recently used is taken first, since its connections are the
    /// likeliest to still be open.
    idle_lanes: Mutex<Vec<Lane>>,
}

/// A proxy's URL, and how messages show it: without user name and password.
#[derive(Clone)]
struct ProxyUrl {
    url: Url,
    shown: String,
}

/// A current-thread runtime and a client whose connections live on it. The calling thread
/// drives the request's I/O itself inside `block_on`, so a call hands nothing to another thread
/// (with one shared multi-thread runtime every call paid for switching threads to hand its I/O
/// over and back, the larger part of its CPU time on loopback). A lane serves one call at a time; its idle keep-alive
/// connections (and TLS sessions) wait in it for the next call that takes the lane. As many
/// lanes exist as calls have run at once with the configuration.
pub struct Lane {
    pub runtime: tokio::runtime::Runtime,
    pub client: reqwest::Client,
    /// The pooled connection the client should reuse for each origin.
    pub kept: KeptConnections,
}

/// The configuration of calls given none: direct connections, the system's trusted CAs. Made
/// at the first call that needs it.
static DEFAULT: OnceCell<Config> = OnceCell::new();

impl ConfigBuilder {
    /// Sends every request through the proxy at `url` (`http://[user:password@]host[:port]`,
    /// a trailing `/` allowed).
    pub fn set_proxy(&mut self, url: &str) -> Result<(), Error> {
        let invalid = |why: &str| {
            Error::invalid_argument(format!(
                "the proxy URL {why}; expected the form http://[user:password@]host:port"
            ))
        };
        // Not echoed: it may hold a password.
        let parsed = Url::parse(url).map_err(|_| invalid("is not an absolute URL"))?;
        match parsed.scheme() {
            "http" => {}
            // Spoken to in TLS, a plain proxy (what such a URL usually names, written with the
            // scheme of the requests it carries) never answers, and the call would wait for
            // its whole timeout.
            "https" => {
                return Err(invalid(
                    "starts with https://, and proxies reached over TLS are not supported; \
                     for a plain HTTP proxy (most are), write the proxy's URL with http:// \
                     (requests to https URLs still go through it in an end-to-end TLS tunnel, \
                     CONNECT)",
                ))
            }
            _ => return Err(invalid("does not start with http://")),
        }
        if parsed.host_str().is_none() {
            return Err(invalid("has no host"));
        }
        // Nothing of a path, query or fragment is used by a proxy: one given is a mistake
        // (often the URL of a service pasted as the proxy's).
        if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid(
                "has something after host:port (a path, query or fragment)",
            ));
        }
        let shown = url_check::origin_for_display(&parsed);
        self.proxy = Some(ProxyUrl { url: parsed, shown });
        Ok(())
    }

    /// Trusts the certificates of the PEM file at `path` besides the system's.
    pub fn add_ca_file(&mut self, path: &str) -> Result<(), Error> {
        let certificates = read_pem_certificates(Path::new(path))?;
        if certificates.is_empty() {
            return Err(Error::invalid_argument(format!(
                "the CA file {path} holds no PEM certificate"
            )));
        }
        self.extra_roots.extend(certificates);
        if let Ok(canonical) = std::fs::canonicalize(path) {
            self.files_read.insert(canonical);
        }
        Ok(())
    }

    /// Trusts the PEM certificates of every file in the directory at `path` (not its
    /// subdirectories) besides the system's. Files without a certificate are skipped, as
    /// OpenSSL's hashed directories hold CRLs and other files too.
    pub fn add_ca_dir(&mut self, path: &str) -> Result<(), Error> {
        let entries = std::fs::read_dir(path).map_err(|error| {
            Error::invalid_argument(format!("the CA directory {path} cannot be read: {error}"))
        })?;
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        let mut newly_read = Vec::new();
        let mut any_certificate = false;
        for entry in entries.flatten() {
            let file = match std::fs::canonicalize(entry.path()) {
                Ok(file) => file,
                Err(_) => continue,
            };
            if !file.is_file() || !seen.insert(file.clone()) {
                continue;
            }
            if self.files_read.contains(&file) {
                any_certificate = true;
                continue;
            }
            let certificates = read_pem_certificates(&file)?;
            if !certificates.is_empty() {
                any_certificate = true;
                found.extend(certificates);
                newly_read.push(file);
            }
        }
        if !any_certificate {
            return Err(Error::invalid_argument(format!(
                "the CA directory {path} holds no PEM certificate"
            )));
        }
        self.extra_roots.extend(found);
        self.files_read.extend(newly_read);
        Ok(())
    }

    /// The configuration: its TLS set-up, and its first client (kept for its first call),
    /// made now so that unusable settings fail here.
    pub fn build(self) -> Result<Config, Error> {
        let config = Config {
            tls: tls_connector(&self.extra_roots)?,
            proxy: self.proxy,
            idle_lanes: Mutex::new(Vec::new()),
        };
        let lane = config.new_lane()?;
        config.put_back(lane);
        Ok(config)
    }
}

/// A TLS connector trusting the system's CAs and `extra_roots`.
fn tls_connector(extra_roots: &[Certificate]) -> Result<TlsConnector, Error> {
    let mut builder = TlsConnector::builder();
    for root in extra_roots {
        builder.add_root_certificate(root.clone());
    }
    builder
        .build()
        .map_err(|error| tls_setup_failed("TLS (the system's TLS library)", &error))
}

/// `NT_TLS_FAILED`: `what` could not be set up, for the most specific reason `error` gives.
fn tls_setup_failed(what: &str, error: &(dyn std::error::Error + 'static)) -> Error {
    Error::new(
        nt_result::NT_TLS_FAILED,
        format!(
            "could not set up {what}: {}",
            crate::http::most_specific_cause(error)
        ),
    )
}

impl Config {
    /// The configuration used when a call is given none, made at the first such call.
    pub fn default_config() -> Result<&'static Config, Error> {
        DEFAULT.get_or_try_init(|| ConfigBuilder::default().build())
    }

    /// The proxy as messages show it, if requests go through one.
    pub fn proxy_shown(&self) -> Option<&str> {
        self.proxy.as_ref().map(|proxy| proxy.shown.as_str())
    }

    /// Runs `call` on an idle lane, or on a new one when all are busy, and puts the lane back.
    pub fn with_lane<R>(&self, call: impl FnOnce(&Lane) -> R) -> Result<R, Error> {
        let idle = self
            .idle_lanes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let lane = match idle {
            Some(lane) => lane,
            None => self.new_lane()?,
        };
        let result = call(&lane);
        self.put_back(lane);
        Ok(result)
    }

    fn put_back(&self, lane: Lane) {
        self.idle_lanes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(lane);
    }

    /// Certificate checks stay on; redirects are not followed, because following one would
    /// re-send credentials to a place the caller never named.
    fn new_lane(&self) -> Result<Lane, Error> {
        // Before the client's first connection, which is logged only if a logger is there.
        crate::connection_log::install();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            // The runtime's only other thread looks up host names (getaddrinfo blocks, so it
            // cannot run on the caller's thread and still be left behind by a timeout). It
            // ends once its lookup is done instead of idling on (10 s by default): the caller
            // gets its thread back with no library thread left running in its process (one
            // that forks, or unloads the library, right after a call). A lookup happens only for
            // a new connection to a host name, where a thread's start is nothing beside it.
            .thread_keep_alive(Duration::ZERO)
            .build()
            .map_err(|error| {
                Error::new(
                    nt_result::NT_CONNECT_FAILED,
                    format!("could not start the network runtime: {error}"),
                )
            })?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .pool_idle_timeout(Duration::from_secs(60))
            // Logs each read (and TLS write) by connection: see connection_log.
            .connection_verbose(true);
        builder = match &self.proxy {
            Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.url.clone()).map_err(|_| {
                Error::invalid_argument(format!("the proxy {} cannot be used", proxy.shown))
            })?),
            // Explicitly none: reqwest would otherwise read the proxy variables itself.
            None => builder.no_proxy(),
        };
        builder = builder.use_preconfigured_tls(self.tls.clone());
        let client = {
            let _in_runtime = runtime.enter();
            builder
                .build()
                .map_err(|error| tls_setup_failed("the HTTPS client (TLS library)", &error))?
        };
        Ok(Lane {
            runtime,
            client,
            kept: KeptConnections::default(),
        })
    }
}

const PEM_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const PEM_END: &str = "-----END CERTIFICATE-----";

/// Every PEM certificate block of the file at `path`, parsed.
fn read_pem_certificates(path: &Path) -> Result<Vec<Certificate>, Error> {
    let shown = path.display();
    let unreadable =
        |why: String| Error::invalid_argument(format!("the CA file {shown} cannot be read: {why}"));
    let size = std::fs::metadata(path)
        .map_err(|error| unreadable(error.to_string()))?
        .len();
    if size > MAX_CA_FILE_BYTES {
        return Err(unreadable(format!(
            "it has {size} bytes, more than a certificate bundle"
        )));
    }
    let bytes = std::fs::read(path).map_err(|error| unreadable(error.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    pem_blocks(&text)
        .enumerate()
        .map(|(index, block)| {
            Certificate::from_pem(block.as_bytes()).map_err(|_| {
                Error::invalid_argument(format!(
                    "certificate {} of the CA file {shown} is not a valid PEM certificate",
                    index + 1
                ))
            })
        })
        .collect()
}

/// The `BEGIN CERTIFICATE` ... `END CERTIFICATE` blocks of `text`, markers included.
fn pem_blocks(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(PEM_BEGIN)?;
        let end = rest[start..].find(PEM_END)? + start + PEM_END.len();
        let block = &rest[start..end];
        rest = &rest[end..];
        Some(block)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_split_and_other_text_ignored() {
        let text = format!(
            "# bundle\n{PEM_BEGIN}\nAAAA\n{PEM_END}\nnoise\n{PEM_BEGIN}\nBBBB\n{PEM_END}\n{PEM_BEGIN}\nunterminated"
        );
        let blocks: Vec<&str> = pem_blocks(&text).collect();
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].contains("AAAA") && blocks[1].contains("BBBB"));
        assert!(blocks.iter().all(|b| b.ends_with(PEM_END)));
        assert_eq!(pem_blocks("no certificates").count(), 0);
    }

    #[test]
    fn proxy_urls_are_checked_and_shown_without_credentials() {
        let mut builder = ConfigBuilder::default();
        for bad in [
            "",
            "proxy:3128",
            "socks5://proxy:1080",
            "http://",
            "http://127.0.0.1:1/some/path",
            "http://127.0.0.1:1?x=1",
            "http://127.0.0.1:1/?",
            "http://127.0.0.1:1#f",
        ] {
            let error = builder.set_proxy(bad).unwrap_err();
            assert_eq!(error.kind(), nt_result::NT_INVALID_ARGUMENT, "{bad}");
        }
        let tls = builder
            .set_proxy("https://u:secret@proxy:3128")
            .unwrap_err();
        assert_eq!(tls.kind(), nt_result::NT_INVALID_ARGUMENT);
        assert!(tls.message().contains("write the proxy's URL with http://"));
        assert!(!tls.message().contains("secret") && !tls.message().contains("proxy:3128"));
        for good in ["http://proxy:3128/", "http://[::1]:3128", "http://proxy"] {
            builder.set_proxy(good).unwrap();
        }
        builder
            .set_proxy("http://user:p%40ss@proxy.example:3128")
            .unwrap();
        let config = builder.build().unwrap();
        assert_eq!(config.proxy_shown(), Some("http://proxy.example:3128"));
        assert_eq!(Config::default_config().unwrap().proxy_shown(), None);
    }

    #[test]
    fn unreadable_or_empty_ca_sources_name_their_path() {
        let mut builder = ConfigBuilder::default();
        let missing = builder.add_ca_file("/nonexistent/ca.pem").unwrap_err();
        assert_eq!(missing.kind(), nt_result::NT_INVALID_ARGUMENT);
        assert!(missing.message().contains("/nonexistent/ca.pem"));
        let dir = std::env::temp_dir().join(format!("nt-ca-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "no certificate here").unwrap();
        let path = dir.to_str().unwrap();
        let empty_dir = builder.add_ca_dir(path).unwrap_err();
        assert!(empty_dir.message().contains("holds no PEM certificate"));
        let empty_file = builder
            .add_ca_file(dir.join("notes.txt").to_str().unwrap())
            .unwrap_err();
        assert!(empty_file.message().contains("holds no PEM certificate"));
        std::fs::write(
            dir.join("broken.pem"),
            format!("{PEM_BEGIN}\nnot base64!\n{PEM_END}\n"),
        )
        .unwrap();
        let broken = builder.add_ca_dir(path).unwrap_err();
        assert!(broken.message().contains("certificate 1 of the CA file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
