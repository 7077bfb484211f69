//! Random values for codes and tokens, from OpenSSL's CSPRNG.

pub fn bytes(len: usize) -> Vec<u8> {
    let mut buffer = vec![0; len];
    // OpenSSL's generator only fails when it cannot be seeded, which leaves nothing to serve.
    openssl::rand::rand_bytes(&mut buffer).expect("OpenSSL random generator failed");
    buffer
}

/// `len` random bytes as lowercase hex (2 × `len` characters).
pub fn hex(len: usize) -> String {
    bytes(len)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `len` random bytes as standard base64 (with `+`, `/` and `=`).
pub fn base64(len: usize) -> String {
    base64::encode(bytes(len))
}
