//! Handles a test owns, freed when dropped: configurations, cancellations and sessions.

use super::*;
use native_token::*;
use std::ptr;

/// A configuration built through the exports: `TestConfig::new(|builder| ...)`.
pub struct TestConfig(pub *const Config);

impl TestConfig {
    /// Builds a configuration after `set` has called the builder's setters.
    pub fn new(set: impl FnOnce(*mut ConfigBuilder)) -> Result<TestConfig, Failure> {
        let mut builder = ptr::null_mut();
        assert_eq!(
            unsafe { nt_config_builder_new(&mut builder) },
            nt_result::NT_OK
        );
        set(builder);
        let mut config = ptr::null();
        match unsafe { nt_config_builder_build(builder, &mut config) } {
            nt_result::NT_OK => Ok(TestConfig(config)),
            failed => Err(take_failure(failed)),
        }
    }

    /// A configuration whose requests go through `proxy_url`.
    pub fn with_proxy(proxy_url: &str) -> TestConfig {
        TestConfig::with_setting(nt_config_builder_set_proxy, proxy_url)
            .expect("a configuration with a proxy")
    }

    /// A configuration that trusts the PEM file at `path`.
    pub fn trusting(path: &std::path::Path) -> TestConfig {
        let path = path.to_str().expect("a UTF-8 path");
        TestConfig::with_setting(nt_config_builder_add_ca_file, path)
            .expect("a configuration with a CA file")
    }

    /// A configuration with one text setting, which the setter `set` must accept.
    fn with_setting(
        set: unsafe extern "C" fn(*mut ConfigBuilder, *const u8, usize) -> nt_result,
        text: &str,
    ) -> Result<TestConfig, Failure> {
        TestConfig::new(|builder| {
            let (text, len) = arg(text);
            assert_eq!(unsafe { set(builder, text, len) }, nt_result::NT_OK);
        })
    }
}

impl Drop for TestConfig {
    fn drop(&mut self) {
        unsafe { nt_config_free(self.0) };
    }
}

/// A handle type a test owns: `new()` makes one with the export `$new`, dropping it frees it
/// with `$free`. The ABI makes these handles thread-safe: a cancellation is triggered from
/// another thread than the call it stops, and a session may be shared.
macro_rules! owned_handle {
    ($(#[$doc:meta])* $name:ident($handle:ty), $new:ident, $free:ident) => {
        $(#[$doc])*
        pub struct $name(pub *mut $handle);

        unsafe impl Send for $name {}
        unsafe impl Sync for $name {}

        impl $name {
            pub fn new() -> $name {
                let mut handle = ptr::null_mut();
                assert_eq!(unsafe { $new(&mut handle) }, nt_result::NT_OK);
                $name(handle)
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                unsafe { $free(self.0) };
            }
        }
    };
}

owned_handle!(
    /// A cancellation, freed when dropped.
    TestCancel(Cancel),
    nt_cancel_new,
    nt_cancel_free
);
owned_handle!(
    /// A TLSPC session, freed when dropped.
    TestSession(VcSession),
    nt_vc_session_new,
    nt_vc_session_free
);

impl TestCancel {
    pub fn trigger(&self) {
        assert_eq!(unsafe { nt_cancel_trigger(self.0) }, nt_result::NT_OK);
    }

    /// The handle, for a call (a method, so that closures capture the whole thread-safe value).
    pub fn ptr(&self) -> *const Cancel {
        self.0
    }
}

impl TestSession {
    /// A session begun at the emulator's TLSPC endpoint with a fresh JWT, and that JWT.
    pub fn begun(emulator: &Emulator) -> (TestSession, String) {
        let jwt = fresh_jwt();
        (TestSession::begun_with(emulator, &jwt), jwt)
    }

    /// A session begun at the emulator's TLSPC endpoint with `jwt`.
    pub fn begun_with(emulator: &Emulator, jwt: &str) -> TestSession {
        let session = TestSession::new();
        session
            .begin(&emulator.vc_endpoint(), jwt)
            .expect("a session");
        session
    }
}
