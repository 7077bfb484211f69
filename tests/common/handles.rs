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
        TestConfig::new(|builder| {
            let (url, len) = arg(proxy_url);
            assert_eq!(
                unsafe { nt_config_builder_set_proxy(builder, url, len) },
                nt_result::NT_OK
            );
        })
        .expect("a configuration with a proxy")
    }

    /// A configuration that trusts the PEM file at `path`.
    pub fn trusting(path: &std::path::Path) -> TestConfig {
        let path = path.to_str().expect("a UTF-8 path").to_owned();
        TestConfig::new(|builder| {
            let (path, len) = arg(&path);
            assert_eq!(
                unsafe { nt_config_builder_add_ca_file(builder, path, len) },
                nt_result::NT_OK
            );
        })
        .expect("a configuration with a CA file")
    }
}

impl Drop for TestConfig {
    fn drop(&mut self) {
        unsafe { nt_config_free(self.0) };
    }
}

/// A cancellation, freed when dropped.
pub struct TestCancel(pub *mut Cancel);

// The handle is thread-safe by contract: it is triggered from another thread than the call.
unsafe impl Send for TestCancel {}
unsafe impl Sync for TestCancel {}

impl TestCancel {
    pub fn new() -> TestCancel {
        let mut cancel = ptr::null_mut();
        assert_eq!(unsafe { nt_cancel_new(&mut cancel) }, nt_result::NT_OK);
        TestCancel(cancel)
    }

    pub fn trigger(&self) {
        assert_eq!(unsafe { nt_cancel_trigger(self.0) }, nt_result::NT_OK);
    }

    /// The handle, for a call (a method, so that closures capture the whole thread-safe value).
    pub fn ptr(&self) -> *const Cancel {
        self.0
    }
}

impl Drop for TestCancel {
    fn drop(&mut self) {
        unsafe { nt_cancel_free(self.0) };
    }
}

/// A TLSPC session, freed when dropped.
pub struct TestSession(pub *mut VcSession);

unsafe impl Send for TestSession {}
unsafe impl Sync for TestSession {}

impl TestSession {
    pub fn new() -> TestSession {
        let mut session = ptr::null_mut();
        assert_eq!(unsafe { nt_vc_session_new(&mut session) }, nt_result::NT_OK);
        TestSession(session)
    }

    /// A session begun at the emulator's TLSPC endpoint with a fresh JWT, and that JWT.
    pub fn begun(emulator: &Emulator) -> (TestSession, String) {
        let session = TestSession::new();
        let jwt = fresh_jwt();
        session
            .begin(&emulator.vc_endpoint(), &jwt)
            .expect("a session");
        (session, jwt)
    }

    pub fn begin(&self, endpoint: &str, jwt: &str) -> Result<TokenView, Failure> {
        self.begin_with(ptr::null(), ptr::null(), endpoint, jwt, 10_000)
    }

    pub fn begin_with(
        &self,
        config: *const Config,
        cancel: *const Cancel,
        endpoint: &str,
        jwt: &str,
        timeout_ms: u32,
    ) -> Result<TokenView, Failure> {
        let ((endpoint, endpoint_len), (jwt, jwt_len)) = (arg(endpoint), arg(jwt));
        token_call(|out| unsafe {
            nt_vc_session_begin(
                self.0,
                config,
                endpoint,
                endpoint_len,
                jwt,
                jwt_len,
                timeout_ms,
                cancel,
                out,
            )
        })
    }

    pub fn refresh(&self) -> Result<TokenView, Failure> {
        token_call(|out| unsafe {
            nt_vc_session_refresh(self.0, ptr::null(), 10_000, ptr::null(), out)
        })
    }
}

impl Drop for TestSession {
    fn drop(&mut self) {
        unsafe { nt_vc_session_free(self.0) };
    }
}
