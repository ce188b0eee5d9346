//! The committed generated code is what the .proto files give today.

use std::path::PathBuf;

use prost::Message;

#[test]
fn the_committed_code_matches_the_proto_files() {
    // Cargo's variable at run time first: a test binary reused from a target directory built
    // in another checkout would otherwise read (or miss) that checkout's files.
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let fds = protox::compile(["ha/v1/ha.proto"], [root.join("proto")]).unwrap();
    let out = tempfile::tempdir().unwrap();
    tonic_prost_build::configure()
        .out_dir(out.path())
        .compile_fds(fds.clone())
        .unwrap();
    let fresh_code = std::fs::read_to_string(out.path().join("ha.v1.rs")).unwrap();
    let fresh_descriptors = fds.encode_to_vec();
    let generated = root.join("src/generated");
    if std::env::var_os("HA_PROTO_REGENERATE").is_some() {
        std::fs::write(generated.join("ha.v1.rs"), &fresh_code).unwrap();
        std::fs::write(generated.join("ha.v1.bin"), &fresh_descriptors).unwrap();
    }
    let committed_code = std::fs::read_to_string(generated.join("ha.v1.rs")).unwrap();
    let committed_descriptors = std::fs::read(generated.join("ha.v1.bin")).unwrap();
    assert!(
        committed_code == fresh_code && committed_descriptors == fresh_descriptors,
        "proto/src/generated is stale: run HA_PROTO_REGENERATE=1 cargo test -p ha-proto"
    );
}
