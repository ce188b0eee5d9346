//! The MySQL wire protocol front end of `ha` (SPEC §1 `--mysql-*`, §2, §4), on `opensrv-mysql`.
//!
//! The mysql client, PyMySQL, mysql2, Connector/J and mysql_async connect with
//! `mysql_native_password` (a random scramble per connection) and run queries and prepared
//! statements (COM_STMT_PREPARE/EXECUTE/CLOSE). Every statement goes to the connection's
//! [`ClientSession`](ha_server_api::ClientSession): the engine's one write path, its transactions
//! (a failed statement leaves a MySQL transaction open; `autocommit=0` begins one before the
//! first statement), and its special commands (`SHOW DATABASES`, `USE`, `CREATE DATABASE`).
//! MySQL's SQL is made SQLite's where they read text differently (`rewrite.rs`: backslash
//! escapes, double-quoted strings, `AUTO_INCREMENT` and table options); what drivers ask of
//! the server itself (`SET`, `SELECT @@var`, `SHOW TABLES`, `DESCRIBE t`) is answered here
//! (`compat.rs`), the catalog from the core's [`ha_types::CatalogQuery`].

mod auth;
mod compat;
mod connection;
mod create_table;
mod error;
mod results;
mod rewrite;
mod show;
mod temporal;
mod variables;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ha_server_api::QueryService;
use opensrv_mysql::{AsyncMysqlIntermediary, IntermediaryOptions};
use tokio::net::TcpListener;
use tracing::{debug, info};

#[derive(Debug, Clone)]
pub struct MysqlConfig {
    pub user: String,
    /// Empty: the user connects without a password.
    pub password: String,
}

/// A MySQL wire server bound to its port, ready to serve.
pub struct MysqlServer {
    listener: TcpListener,
    service: Arc<dyn QueryService>,
    config: Arc<MysqlConfig>,
}

impl MysqlServer {
    pub async fn bind(
        addr: SocketAddr,
        service: Arc<dyn QueryService>,
        config: MysqlConfig,
    ) -> std::io::Result<MysqlServer> {
        Ok(MysqlServer {
            listener: TcpListener::bind(addr).await?,
            service,
            config: Arc::new(config),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves connections until `shutdown` resolves, then waits for the open ones to end
    /// (dropping this future ends them); each runs in its own task, and one that fails (a bad
    /// packet, a client gone) ends alone.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()>) {
        let ids = AtomicU32::new(1);
        let mut connections = tokio::task::JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        info!(addr = ?self.listener.local_addr().ok(), "MySQL wire protocol listening");
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    debug!(%error, "accepting a MySQL connection failed");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let id = ids.fetch_add(1, Ordering::Relaxed);
            let connection =
                match connection::Connection::open(id, &self.service, Arc::clone(&self.config)) {
                    Ok(connection) => connection,
                    Err(error) => {
                        debug!(%peer, "no session for a MySQL connection: {}", error.message);
                        continue;
                    }
                };
            // Finished connections leave the set as they end.
            while connections.try_join_next().is_some() {}
            connections.spawn(async move {
                let (reader, writer) = stream.into_split();
                let options = IntermediaryOptions {
                    process_use_statement_on_query: true,
                    reject_connection_on_dbname_absence: false,
                };
                if let Err(error) =
                    AsyncMysqlIntermediary::run_with_options(connection, reader, writer, &options)
                        .await
                {
                    debug!(%peer, connection = id, %error, "MySQL connection ended");
                }
            });
        }
        while connections.join_next().await.is_some() {}
    }
}
