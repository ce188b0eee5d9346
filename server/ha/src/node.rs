//! Starting and stopping a node.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use ha_core::{Cause, Registry};
use ha_nats::Announcement;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::Config;
use crate::databases;
use crate::replication::{self, Replication};
use crate::service::{LeaderMode, NodeService};
use ha_client::forward::Forwarder;

/// A started node.
pub struct RunningNode {
    http_addr: SocketAddr,
    registry: Arc<Registry>,
    replication: Option<Replication>,
    snapshot_timer: Option<JoinHandle<()>>,
    stop_http: Option<oneshot::Sender<()>>,
    http: JoinHandle<std::io::Result<()>>,
    pg_addr: Option<SocketAddr>,
    stop_pg: Option<oneshot::Sender<()>>,
    pg: Option<JoinHandle<()>>,
    mysql_addr: Option<SocketAddr>,
    stop_mysql: Option<oneshot::Sender<()>>,
    mysql: Option<JoinHandle<()>>,
}

impl RunningNode {
    /// Where the HTTP API listens (the real port when configured with port 0).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Where the PostgreSQL wire server listens, when `--pg-port` is set.
    pub fn pg_addr(&self) -> Option<SocketAddr> {
        self.pg_addr
    }

    /// Where the MySQL wire server listens, when `--mysql-port` is set.
    pub fn mysql_addr(&self) -> Option<SocketAddr> {
        self.mysql_addr
    }

    /// Stops accepting requests, finishes those in flight, and closes every database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop_pg.take() {
            let _ = stop.send(());
        }
        if let Some(stop) = self.stop_mysql.take() {
            let _ = stop.send(());
        }
        if let Some(stop) = self.stop_http.take() {
            let _ = stop.send(());
        }
        // In-flight requests get a grace period to finish; a client that keeps a stream open
        // (an idle gRPC session, a psql left connected) must not hold the node up for ever.
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        if let Some(mut pg) = self.pg.take()
            && tokio::time::timeout_at(deadline, &mut pg).await.is_err()
        {
            warn!(grace = ?SHUTDOWN_GRACE, "PostgreSQL connections still open at shutdown: closing them");
            pg.abort();
        }
        if let Some(mut mysql) = self.mysql.take()
            && tokio::time::timeout_at(deadline, &mut mysql).await.is_err()
        {
            warn!(grace = ?SHUTDOWN_GRACE, "MySQL connections still open at shutdown: closing them");
            mysql.abort();
        }
        let served = match tokio::time::timeout_at(deadline, &mut self.http).await {
            Ok(served) => served,
            Err(_) => {
                warn!(grace = ?SHUTDOWN_GRACE, "HTTP/gRPC connections still open at shutdown: closing them");
                self.http.abort();
                Ok(Ok(()))
            }
        };
        if let Some(timer) = self.snapshot_timer.take() {
            timer.abort();
        }
        if let Some(replication) = self.replication.as_mut() {
            replication.link.stop_consumers().await;
        }
        let registry = Arc::clone(&self.registry);
        tokio::task::spawn_blocking(move || registry.close_all())
            .await
            .context("closing the databases")?;
        if let Some(replication) = self.replication.take() {
            replication.stop_broker().await;
        }
        info!("node stopped");
        served
            .context("the HTTP server task failed")?
            .context("serving HTTP")
    }
}

/// How long a stopping node waits for the requests in flight (and open streams) to finish,
/// over all its doors.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Validates the configuration, opens the databases and starts serving.
pub async fn start(config: Config) -> anyhow::Result<RunningNode> {
    config.validate()?;
    // Bound first: leader mode advertises this port (`--leader-addr` without one).
    let bind = SocketAddr::new(config.bind_address, config.port);
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("--port: cannot listen on {bind}"))?;
    let http_addr = listener.local_addr().context("reading the bound address")?;
    let tls = http_tls(&config)?;
    let specs = databases::specs(&config)?;
    let mut options = databases::registry_options(&config)?;
    let mut replication = if replication::enabled(&config) {
        Some(Replication::start(&config, databases::data_dir(&config)?).await?)
    } else {
        None
    };
    options.database.replication = replication.as_ref().map(|r| r.link.options().clone());
    let leader_mode = leader_mode(&config, replication.as_ref(), http_addr.port()).await?;
    if let (Some(mode), Some(replication)) = (&leader_mode, options.database.replication.as_mut()) {
        replication.write_gate = Some(Arc::clone(&mode.leadership) as Arc<dyn ha_core::WriteGate>);
    }
    let (specs, restored) = match &replication {
        Some(replication) if config.from_latest_snapshot => {
            replication.link.restore_before_open(specs).await
        }
        _ => (specs, Vec::new()),
    };
    let registry = tokio::task::spawn_blocking(move || Registry::open(specs, options))
        .await
        .context("opening the databases")??;
    for restored in &restored {
        if let Some(seq) = restored.catch_up_to {
            registry
                .get(Some(&restored.spec.id))?
                .catch_up_before_serving(seq);
        }
    }
    drop(restored);
    let registry = Arc::new(registry);
    if let Some(mode) = &leader_mode {
        // A new leader catches these databases up before it writes.
        mode.leadership.track(&registry);
    }
    let mut snapshot_timer = None;
    if let Some(replication) = replication.as_mut() {
        replication.link.start_consumers(&registry)?;
        let handle = replication.handle();
        // The cluster's databases: created here before the node serves, then followed.
        let directory = Arc::new(
            handle
                .directory(usize::from(config.replicas))
                .await
                .context("opening the cluster's directory of databases")?,
        );
        let weak = Arc::downgrade(&registry);
        let (created_in, stopping) = (Arc::clone(&directory), handle.stopping());
        registry.on_created(Box::new(move |database, cause| {
            let id = database.id().to_string();
            // Such a consumer ends when its database is dropped or the node stops.
            if let Some(registry) = weak.upgrade() {
                handle.start_consumer(&registry, database);
            }
            if cause == Cause::Request {
                created_in.announce(Announcement::Created(id), stopping.clone());
            }
        }));
        let (dropped_in, stopping) = (Arc::clone(&directory), replication.handle().stopping());
        registry.on_dropped(Box::new(move |id, cause| {
            if cause == Cause::Request {
                dropped_in.announce(Announcement::Dropped(id.to_string()), stopping.clone());
            }
        }));
        directory
            .create_listed(&registry)
            .await
            .context("creating the cluster's databases")?;
        tokio::spawn(directory.follow(Arc::downgrade(&registry), replication.handle().stopping()));
        if !config.snapshot_interval.is_zero() {
            snapshot_timer = Some(tokio::spawn(crate::snapshots::every(
                config.snapshot_interval,
                Arc::clone(&registry),
                replication.handle(),
            )));
        }
    }

    let service = Arc::new(NodeService::new(
        Arc::clone(&registry),
        replication.as_ref().map(Replication::handle),
        config.replication_timeout,
        leader_mode,
    ));
    let (pg_addr, stop_pg, pg) = if config.pg_port != 0 {
        let (addr, stop, task) = start_pg(&config, Arc::clone(&service) as _).await?;
        (Some(addr), Some(stop), Some(task))
    } else {
        (None, None, None)
    };
    let (mysql_addr, stop_mysql, mysql) = if config.mysql_port != 0 {
        let (addr, stop, task) = start_mysql(&config, Arc::clone(&service) as _).await?;
        (Some(addr), Some(stop), Some(task))
    } else {
        (None, None, None)
    };
    // gRPC on the same port (HTTP/2), beside the HTTP/JSON API (SPEC §5).
    let grpc = ha_grpc::router(
        Arc::clone(&service) as _,
        ha_grpc::GrpcOptions {
            token: config.token.clone(),
            max_message_size: config.max_body_size,
        },
    )
    .context("building the gRPC service")?;
    let router = ha_http::router(
        service,
        ha_http::HttpOptions {
            token: config.token.clone(),
            max_body_size: config.max_body_size,
        },
    )
    .merge(grpc);
    let (stop_http, stopped) = oneshot::channel::<()>();
    let http = tokio::spawn(ha_http::serve(listener, router, tls, async move {
        let _ = stopped.await;
    }));
    info!(
        node = %config.name,
        http_addr = %http_addr,
        pg_addr = pg_addr.map(|a| a.to_string()),
        mysql_addr = mysql_addr.map(|a| a.to_string()),
        databases = ?registry.ids(),
        workers = tokio::runtime::Handle::current().metrics().num_workers(),
        // How this node's change sets go to the log (docs/cdc.md); absent without replication.
        replication_format = replication
            .is_some()
            .then(|| format!("{:?}", config.replication_format).to_lowercase()),
        "listening"
    );
    Ok(RunningNode {
        http_addr,
        registry,
        replication,
        snapshot_timer,
        stop_http: Some(stop_http),
        http,
        pg_addr,
        stop_pg,
        pg,
        mysql_addr,
        stop_mysql,
        mysql,
    })
}

/// Leader mode (SPEC §7): `--leader-addr` campaigns for the lease; `--leader-static` follows a
/// fixed leader. `None`: leaderless.
async fn leader_mode(
    config: &Config,
    replication: Option<&Replication>,
    port: u16,
) -> anyhow::Result<Option<LeaderMode>> {
    let leadership = match (&config.leader_addr, &config.leader_static, replication) {
        (Some(addr), _, Some(replication)) => {
            let handle = replication.handle();
            let ballot = ha_nats::leader::Ballot {
                context: handle.context.clone(),
                stream: handle.stream.clone(),
                fence: Arc::clone(&handle.fence),
            };
            ha_nats::leader::campaign(
                ballot,
                usize::from(config.replicas),
                config.name.clone(),
                advertised(addr, port, config.tls_cert.is_some()),
                ha_nats::leader::LeaseTimes::default(),
                handle.stopping(),
            )
            .await
            .context("--leader-addr: joining the leader election")?
        }
        (None, Some(leader), _) => ha_nats::leader::Leadership::fixed(&config.name, leader),
        _ => return Ok(None),
    };
    Ok(Some(LeaderMode {
        leadership,
        forwarder: Arc::new(Forwarder::new(config.token.clone(), config.tls_ca.clone())),
    }))
}

/// `--leader-addr` as other nodes reach this node: given without a port (or with port 0), the
/// port this node's gRPC listens on; `https://` when it serves TLS (followers forward over TLS).
fn advertised(addr: &str, port: u16, tls: bool) -> String {
    let (scheme, rest) = match addr.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None if tls => ("https://".to_string(), addr),
        None => (String::new(), addr),
    };
    let rest = match rest.rsplit_once(':') {
        Some((host, "0")) => format!("{host}:{port}"),
        Some((_, given)) if given.parse::<u16>().is_ok() => rest.to_string(),
        _ => format!("{rest}:{port}"),
    };
    format!("{scheme}{rest}")
}

/// `--tls-cert`/`--tls-key`: the HTTP/gRPC port serves TLS (HTTP/2 for gRPC, HTTP/1.1).
fn http_tls(config: &Config) -> anyhow::Result<Option<ha_http::HttpTls>> {
    let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) else {
        return Ok(None);
    };
    Ok(Some(
        ha_http::HttpTls::load(cert, key).map_err(anyhow::Error::msg)?,
    ))
}

/// Binds the PostgreSQL wire server and starts serving it.
async fn start_pg(
    config: &Config,
    service: Arc<dyn ha_server_api::QueryService>,
) -> anyhow::Result<(SocketAddr, oneshot::Sender<()>, JoinHandle<()>)> {
    let bind = SocketAddr::new(config.bind_address, config.pg_port);
    let pg_config = ha_pgwire::PgConfig {
        user: config.pg_user.clone(),
        password: config.pg_pass.clone(),
        auth: match config.pg_auth {
            crate::config::PgAuth::ScramSha256 => ha_pgwire::AuthMethod::ScramSha256,
            crate::config::PgAuth::Password => ha_pgwire::AuthMethod::Password,
        },
        tls: config.pg_cert.clone().zip(config.pg_key.clone()),
    };
    let server = ha_pgwire::PgServer::bind(bind, service, pg_config)
        .await
        .with_context(|| format!("--pg-port: cannot serve PostgreSQL on {bind}"))?;
    let addr = server.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    Ok((addr, stop, task))
}

/// Binds the MySQL wire server and starts serving it.
async fn start_mysql(
    config: &Config,
    service: Arc<dyn ha_server_api::QueryService>,
) -> anyhow::Result<(SocketAddr, oneshot::Sender<()>, JoinHandle<()>)> {
    let bind = SocketAddr::new(config.bind_address, config.mysql_port);
    let mysql_config = ha_mysql::MysqlConfig {
        user: config.mysql_user.clone(),
        password: config.mysql_pass.clone(),
    };
    let server = ha_mysql::MysqlServer::bind(bind, service, mysql_config)
        .await
        .with_context(|| format!("--mysql-port: cannot serve MySQL on {bind}"))?;
    let addr = server.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    Ok((addr, stop, task))
}

/// Runs a node until `shutdown` resolves, then stops it gracefully.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let node = start(config).await?;
    shutdown.await;
    info!("shutting down");
    node.stop().await
}

#[cfg(test)]
mod tests {
    use super::advertised;

    #[test]
    fn a_leader_address_takes_the_port_and_the_scheme_of_the_node() {
        assert_eq!(advertised("10.0.0.1", 8080, false), "10.0.0.1:8080");
        assert_eq!(advertised("10.0.0.1:0", 8080, false), "10.0.0.1:8080");
        assert_eq!(advertised("10.0.0.1:9000", 8080, false), "10.0.0.1:9000");
        assert_eq!(advertised("node1", 8080, true), "https://node1:8080");
        assert_eq!(
            advertised("https://node1:9443", 8080, false),
            "https://node1:9443"
        );
        assert_eq!(advertised("http://node1", 8080, true), "http://node1:8080");
    }
}
