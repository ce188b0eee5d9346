//! `https://` in `ha-client`: a node behind a TLS front (as in production, a proxy or a load
//! balancer that terminates TLS and speaks HTTP/2 to the node). The front is a small
//! tokio-rustls proxy with a certificate from a test CA, both made by the real `openssl`.

use std::path::Path;
use std::sync::Arc;

use ha_client::{Client, ClientOptions, ErrorCode, Statement, StatementResult, Value};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::support::{certificates, start};

/// Terminates TLS (ALPN h2) on a port of its own and forwards the bytes to `backend`.
async fn tls_front(cert: &Path, key: &Path, backend: std::net::SocketAddr) -> u16 {
    let certs = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut client) = acceptor.accept(client).await else {
                    return;
                };
                let Ok(mut node) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut node).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reaches_a_node_over_https() {
    let node = start(&["-m"]).await;
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let ca = dir.path().join("ca.crt");
    let port = tls_front(
        &dir.path().join("front.crt"),
        &dir.path().join("front.key"),
        node.http_addr,
    )
    .await;
    let url = format!("https://localhost:{port}");

    let trusted = ClientOptions {
        tls_ca_file: Some(ca),
        ..ClientOptions::default()
    };
    let client = Client::open(&url, trusted).await.unwrap();
    let answer = client
        .execute(vec![Statement::new("SELECT 'over tls'")])
        .await
        .unwrap();
    match &answer.results[0] {
        StatementResult::Rows { rows, .. } => {
            assert_eq!(rows, &vec![vec![Value::Text("over tls".into())]]);
        }
        other => panic!("{other:?}"),
    }

    // A certificate nobody vouches for is refused, with a clear error.
    let refused = match Client::open(&url, ClientOptions::default()).await {
        Ok(client) => client
            .execute(vec![Statement::new("SELECT 1")])
            .await
            .unwrap_err(),
        Err(e) => e,
    };
    assert_eq!(refused.code(), ErrorCode::Unavailable, "{refused}");

    let missing = ClientOptions {
        tls_ca_file: Some(dir.path().join("nope.pem")),
        ..ClientOptions::default()
    };
    let bad = Client::open(&url, missing)
        .await
        .err()
        .expect("a missing CA file is an error");
    assert!(bad.to_string().contains("nope.pem"), "{bad}");
}
