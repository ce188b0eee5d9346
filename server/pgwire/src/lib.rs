//! The PostgreSQL wire protocol front end of `ha` (SPEC §1 `--pg-*`, §2, §7, §10), built on the
//! `pgwire` crate and kept behind [`serve`] so its frequent breaking releases stay here.
//!
//! psql, psycopg, node-postgres, pgjdbc and tokio-postgres connect with SCRAM-SHA-256 (or a
//! cleartext password) over plain TCP or TLS, and run simple queries (several statements in
//! one message run as one transaction, as in PostgreSQL) and the extended protocol (nothing
//! runs at Parse; Describe reports parameter and result types; parameters in text or
//! binary). Every statement goes to the node's [`QueryService`] session: the engine's one
//! write path, its transactions (`BEGIN` ... `COMMIT`, savepoints, an error aborting the
//! transaction), and its special commands (`SHOW DATABASES`, `SET DATABASE TO` ...). What
//! drivers send on their own (`SET`, `SHOW`, `SELECT version()`) is answered here. A
//! CancelRequest (psql's Ctrl-C) stops the connection's running statement (SQLSTATE 57014).

mod auth;
mod compat;
mod connection;
mod deferred;
mod error;
mod execute;
mod extended;
mod handler;
mod params;
mod portal;
mod rewrite;
mod statement;
mod types;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ha_server_api::QueryService;
use pgwire::api::auth::StartupHandler;
use pgwire::api::cancel::{CancelHandler, DefaultCancelHandler};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{ConnectionManager, PgWireServerHandlers};
use tokio::net::TcpListener;
use tracing::{debug, info};

pub use error::PgError;

/// How clients prove the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ScramSha256,
    /// The password in clear text (use with TLS).
    Password,
}

#[derive(Debug, Clone)]
pub struct PgConfig {
    pub user: String,
    pub password: String,
    pub auth: AuthMethod,
    /// PEM certificate chain and key: TLS is offered when both are set.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// A PostgreSQL wire server bound to its port, ready to serve.
pub struct PgServer {
    listener: TcpListener,
    shared: Shared,
    tls: Option<pgwire::tokio::TlsAcceptor>,
}

struct Handlers {
    handler: Arc<handler::Handler>,
    startup: Arc<auth::Startup>,
    /// Finds the connection a CancelRequest names (by its process id and secret key).
    cancel: Arc<DefaultCancelHandler>,
}

/// What every connection's handlers share.
struct Shared {
    service: Arc<dyn QueryService>,
    parser: Arc<statement::Parser>,
    startup: Arc<auth::Startup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl Shared {
    /// The handlers of a new connection: the shared parts, and a state of its own.
    fn handlers(&self) -> Handlers {
        Handlers {
            handler: Arc::new(handler::Handler {
                service: Arc::clone(&self.service),
                parser: Arc::clone(&self.parser),
                connection: connection::SharedConnection::default(),
            }),
            startup: Arc::clone(&self.startup),
            cancel: Arc::clone(&self.cancel),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.handler)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.handler)
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::clone(&self.startup)
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

impl PgServer {
    /// Binds `addr` and prepares authentication and TLS (a bad certificate is an error here,
    /// at start, not at the first connection).
    pub async fn bind(
        addr: SocketAddr,
        service: Arc<dyn QueryService>,
        config: PgConfig,
    ) -> Result<PgServer, PgError> {
        let (tls, certificate) = match &config.tls {
            Some((cert, key)) => {
                let (acceptor, pem) = auth::tls_acceptor(cert, key)?;
                (Some(acceptor), Some(pem))
            }
            None => (None, None),
        };
        let connections = Arc::new(ConnectionManager::new());
        let startup = Arc::new(auth::Startup::new(
            &config,
            certificate.as_deref(),
            Arc::clone(&connections),
        )?);
        let listener = TcpListener::bind(addr).await?;
        Ok(PgServer {
            listener,
            shared: Shared {
                service,
                parser: Arc::new(statement::Parser),
                startup,
                cancel: Arc::new(DefaultCancelHandler::new(connections)),
            },
            tls,
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, PgError> {
        Ok(self.listener.local_addr()?)
    }

    /// Accepts connections until `shutdown` resolves; each connection runs on its own task
    /// (an error on one never stops the others).
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send) {
        let addr = self.listener.local_addr().ok();
        info!(
            ?addr,
            tls = self.tls.is_some(),
            "PostgreSQL wire server listening"
        );
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, peer)) => {
                        let _ = socket.set_nodelay(true);
                        let handlers = Arc::new(self.shared.handlers());
                        let tls = self.tls.clone();
                        tokio::spawn(async move {
                            if let Err(e) = pgwire::tokio::process_socket(socket, tls, handlers).await {
                                debug!(%peer, error = %e, "PostgreSQL connection ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        debug!(error = %e, "accepting a PostgreSQL connection failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
    }
}
