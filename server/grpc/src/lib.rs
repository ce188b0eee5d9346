//! The gRPC front end of `ha` (SPEC §5): the `ha.v1.Database` service over
//! [`ha_server_api::QueryService`], served on the HTTP port (HTTP/2) next to the HTTP/JSON API,
//! with server reflection (`grpc.reflection.v1`) so generic clients need no .proto file. The
//! token travels as `authorization` metadata; errors are gRPC status codes mapped once from
//! the stable [`ha_types::ErrorCode`] (`error.rs`), which also travels in the status details.

mod auth;
mod convert;
mod error;
mod files;
mod service;

use std::sync::Arc;

use ha_proto::v1::database_server::DatabaseServer;
use ha_server_api::QueryService;
use tonic::server::NamedService;

pub use error::{code_for, status_for};

/// Settings of the gRPC front end.
#[derive(Debug, Clone, Default)]
pub struct GrpcOptions {
    /// When set, every call must carry it as `authorization` metadata (bare or `Bearer`).
    pub token: Option<String>,
    /// Largest request message accepted (and response message sent).
    pub max_message_size: usize,
}

/// The gRPC routes, to merge into the node's HTTP router: `/ha.v1.Database/*` and the
/// reflection service. Reflection needs no token (it describes the API, like
/// `/openapi.yaml`).
pub fn router(
    service: Arc<dyn QueryService>,
    options: GrpcOptions,
) -> Result<axum::Router, tonic_reflection::server::Error> {
    let size = options.max_message_size.max(4 << 20);
    // Requests are bounded like HTTP bodies; answers are not (as over HTTP): a large result
    // is already in memory when it is encoded, and failing it there would only lose it.
    let database = DatabaseServer::new(service::GrpcDatabase::new(service))
        .max_decoding_message_size(size)
        .max_encoding_message_size(usize::MAX);
    let database = tonic::service::interceptor::InterceptedService::new(
        database,
        auth::TokenCheck::new(options.token),
    );
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(ha_proto::FILE_DESCRIPTOR_SET)
            // The error details' types (google.rpc.ErrorInfo), so generic clients show them.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    // v1, and v1alpha for the generic clients that only know it (older grpcurl, Postman).
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let database_path = format!(
        "/{}/{{*method}}",
        DatabaseServer::<service::GrpcDatabase>::NAME
    );

    Ok(axum::Router::new()
        .route_service(&database_path, database)
        .route_service(
            "/grpc.reflection.v1.ServerReflection/{*method}",
            reflection_v1,
        )
        .route_service(
            "/grpc.reflection.v1alpha.ServerReflection/{*method}",
            reflection_v1alpha,
        ))
}
