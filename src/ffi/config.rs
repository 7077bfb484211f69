//! Exports for configurations (`nt_config`) and their builder (`nt_config_builder`).

use super::{free_handle, guard, handle_out, text_arg, Out};
use crate::config::{Config, ConfigBuilder};
use crate::error::{nt_result, Error};
use crate::handles;

/// Starts a configuration with no proxy and only the system's trusted CAs.
///
/// On `NT_OK` writes `*out_builder`; the caller owns it until it passes it to
/// `nt_config_builder_build` (or frees it with `nt_config_builder_free`).
///
/// # Safety
/// `out_builder` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_config_builder_new(out_builder: *mut *mut ConfigBuilder) -> nt_result {
    unsafe { handle_out("out_builder", out_builder, || Ok(ConfigBuilder::default())) }
}

/// Sends every request of the configuration through the proxy at `proxy_url`
/// (`http://[user:password@]host:port`, user name and password percent-encoded, a trailing `/`
/// allowed): `http` URLs as absolute-form requests, `https` URLs through a `CONNECT` tunnel
/// (end-to-end TLS with the service). The proxy itself is spoken to in plain HTTP. Which hosts
/// bypass the proxy is the caller's decision: build a configuration without a proxy for them.
/// Messages name the proxy without its user name and password.
///
/// `NT_INVALID_ARGUMENT`, with the builder unchanged, for anything else: not an absolute URL,
/// no host, a scheme other than `http` (an `https://` proxy URL, a proxy reached over TLS, is
/// not supported: the message says to write it with `http://`), or anything after the port (a
/// path other than `/`, a query, a fragment).
///
/// # Safety
/// `builder` must be used by one thread at a time; `proxy_url` NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn nt_config_builder_set_proxy(
    builder: *mut ConfigBuilder,
    proxy_url: *const u8,
    proxy_url_len: usize,
) -> nt_result {
    unsafe {
        set_text(
            builder,
            "proxy_url",
            (proxy_url, proxy_url_len),
            ConfigBuilder::set_proxy,
        )
    }
}

/// Trusts the certificates of the PEM file at `path` (e.g. `SSL_CERT_FILE`) in addition to the
/// system's. The file is read now: a missing or unreadable file, or one without a certificate,
/// is `NT_INVALID_ARGUMENT` naming the path, and leaves the builder unchanged.
///
/// # Safety
/// `builder` must be used by one thread at a time; `path` NULL or valid for `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn nt_config_builder_add_ca_file(
    builder: *mut ConfigBuilder,
    path: *const u8,
    path_len: usize,
) -> nt_result {
    unsafe {
        set_text(
            builder,
            "path",
            (path, path_len),
            ConfigBuilder::add_ca_file,
        )
    }
}

/// Trusts the PEM certificates found in the files of the directory at `path` (e.g.
/// `SSL_CERT_DIR`; subdirectories are not read) in addition to the system's. Read now: an
/// unreadable directory, or one without a certificate, is `NT_INVALID_ARGUMENT` naming the path,
/// and leaves the builder unchanged.
///
/// # Safety
/// `builder` must be used by one thread at a time; `path` NULL or valid for `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn nt_config_builder_add_ca_dir(
    builder: *mut ConfigBuilder,
    path: *const u8,
    path_len: usize,
) -> nt_result {
    unsafe { set_text(builder, "path", (path, path_len), ConfigBuilder::add_ca_dir) }
}

/// Turns the builder into a configuration, checking the settings by making its first HTTP
/// client. Takes the builder in every case: it is freed and must not be used again.
///
/// On `NT_OK` writes `*out_config`, owned by the caller (`nt_config_free`). A configuration is
/// immutable and thread-safe: any number of calls on any threads may use it at once, and its
/// pooled connections serve them all.
///
/// # Safety
/// No other thread may be using the builder; `out_config` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn nt_config_builder_build(
    builder: *mut ConfigBuilder,
    out_config: *mut *const Config,
) -> nt_result {
    guard(|| {
        let builder = unsafe { handles::release(builder) }?;
        let out_config = Out::new("out_config", out_config)?;
        let config = builder.build()?;
        unsafe { out_config.write(handles::issue(config)) };
        Ok(())
    })
}

/// Frees a builder that was not built. NULL, or a handle freed already or never issued, is
/// ignored.
///
/// # Safety
/// No other thread may be using the builder.
#[no_mangle]
pub unsafe extern "C" fn nt_config_builder_free(builder: *mut ConfigBuilder) {
    free_handle(builder);
}

/// Frees a configuration and closes its pooled connections. NULL, or a handle freed already or
/// never issued, is ignored.
///
/// # Safety
/// No call may be using the configuration.
#[no_mangle]
pub unsafe extern "C" fn nt_config_free(config: *const Config) {
    free_handle(config as *mut Config);
}

/// Runs one text setter on a live builder: the argument is read as for every string argument
/// (named in messages, never echoed), then handed to `set`.
///
/// # Safety
/// As for the setters: `builder` used by one thread at a time, the text NULL or valid for its length.
unsafe fn set_text(
    builder: *mut ConfigBuilder,
    name: &str,
    (text, text_len): (*const u8, usize),
    set: fn(&mut ConfigBuilder, &str) -> Result<(), Error>,
) -> nt_result {
    guard(|| {
        let builder = unsafe { handles::borrow_mut(builder) }?;
        set(builder, unsafe { text_arg(name, text, text_len) }?)
    })
}
