//! Regenerates include/native_token.h from the exported items in src/, so the committed header
//! always matches the library that was just built (CI checks it with `git diff --exit-code`).

use std::path::PathBuf;

fn main() {
    let crate_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    // with_src parses src/ directly; with_crate would run `cargo metadata`, which needs a registry.
    match cbindgen::Builder::new()
        .with_src(crate_dir.join("src").join("lib.rs"))
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(crate_dir.join("include").join("native_token.h"));
        }
        // A syntax error in src/ is reported by rustc with a better message; keep the old header.
        Err(err) => println!("cargo:warning=cbindgen could not generate the header: {err}"),
    }
}
