//! Compiles the test-only harness protocol.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("PROTOC").is_none() {
        // Build scripts run no other threads; see proto/build.rs.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
        }
    }
    println!("cargo:rerun-if-changed=proto/harness.proto");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("harness_descriptor.bin"))
        .compile_protos(&["proto/harness.proto"], &["proto"])?;
    Ok(())
}
