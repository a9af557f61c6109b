//! Compiles every `.proto` under `proto/gigshield` and writes the file descriptor set that
//! server reflection serves. `protoc` comes from the `protoc-bin-vendored` crate unless the
//! caller sets `PROTOC`, so a fresh machine needs no system protobuf compiler.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("PROTOC").is_none() {
        unsafe_set_protoc(protoc_bin_vendored::protoc_bin_path()?);
    }
    // Read at run time: a build script compiled for another checkout may be reused.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let mut files = Vec::new();
    collect_protos(&root.join("gigshield"), &mut files)?;
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    // The directory too: cargo scans it, so a new .proto (or package directory) reruns this.
    println!(
        "cargo:rerun-if-changed={}",
        root.join("gigshield").display()
    );
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("gigshield_descriptor.bin"))
        .compile_protos(&files, &[root, protoc_bin_vendored::include_path()?])?;
    Ok(())
}

/// Points tonic-prost-build at the vendored compiler through its documented `PROTOC` variable.
fn unsafe_set_protoc(path: PathBuf) {
    // `set_var` is unsafe in edition 2024 because other threads may read the environment;
    // a build script runs no other threads.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("PROTOC", path);
    }
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
