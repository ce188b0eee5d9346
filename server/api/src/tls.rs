//! TLS for the front ends that serve it (HTTP and gRPC on `--port`, PostgreSQL on `--pg-port`):
//! one way to read a certificate chain and key into a server configuration.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;

/// A server configuration for the PEM files `cert` (chain) and `key`, offering the ALPN
/// protocols `alpn`, and the certificate's PEM text (PostgreSQL's channel binding needs it).
/// `flags` name the two files in errors, as the user gave them (`--tls-cert`, `--tls-key`).
pub fn server_config(
    cert: &Path,
    key: &Path,
    alpn: &[&[u8]],
    flags: (&str, &str),
) -> Result<(rustls::ServerConfig, Vec<u8>), String> {
    let (cert_flag, key_flag) = flags;
    let pem = std::fs::read(cert).map_err(|e| format!("{cert_flag}: {e}"))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{cert_flag}: {e}"))?;
    if chain.is_empty() {
        return Err(format!("{cert_flag}: no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{key_flag}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("{cert_flag}/{key_flag}: {e}"))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok((config, pem))
}
