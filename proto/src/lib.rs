//! `ha-proto`: the gRPC API of `ha` (SPEC §5, package `ha.v1`, `proto/ha/v1/ha.proto`), with the
//! Rust code generated from it committed under `src/generated/` so that building needs no
//! `protoc`. `tests/generated.rs` regenerates it (with `protox`, a protobuf compiler in Rust)
//! and fails when the committed copy differs; `HA_PROTO_REGENERATE=1` rewrites it. [`convert`]
//! is the one mapping to and from `ha-types` (values, rows, results), for the server and every
//! client.

#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod v1 {
    include!("generated/ha.v1.rs");
}

pub mod convert;

/// The encoded `FileDescriptorSet` of the API, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!("generated/ha.v1.bin");
