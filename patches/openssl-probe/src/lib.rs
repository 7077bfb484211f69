//! NativeToken's stand-in for `openssl-probe` (see the workspace Cargo.toml for why): the same
//! functions, but `init_ssl_cert_env_vars` leaves the process environment alone.

use std::path::PathBuf;

/// Where certificates were found.
pub struct ProbeResult {
    pub cert_file: Option<PathBuf>,
    pub cert_dir: Option<PathBuf>,
}

/// The original searched well-known folders; the system OpenSSL already knows its own.
pub fn find_certs_dirs() -> Vec<PathBuf> {
    Vec::new()
}

/// The original exported the probed paths with `setenv`. Doing nothing keeps OpenSSL on its
/// default trust paths (and on `SSL_CERT_FILE` / `SSL_CERT_DIR` when the process was started
/// with them).
pub fn init_ssl_cert_env_vars() {}

/// What the environment says, without probing.
pub fn probe() -> ProbeResult {
    ProbeResult {
        cert_file: std::env::var_os("SSL_CERT_FILE").map(PathBuf::from),
        cert_dir: std::env::var_os("SSL_CERT_DIR").map(PathBuf::from),
    }
}
