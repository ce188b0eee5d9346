//! A TCP relay between one node and its broker that a test can freeze: a network partition
//! that cuts that node alone. While frozen, bytes already sent stay on the way (nothing is
//! closed or lost); thawed, they arrive late, in order, as after a partition heals.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct FreezableProxy {
    addr: SocketAddr,
    frozen: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl FreezableProxy {
    /// Listens on 127.0.0.1 port 0 and relays every connection to `target` (`host:port`).
    pub async fn start(target: &str) -> anyhow::Result<FreezableProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (frozen, _) = watch::channel(false);
        let target = target.to_string();
        let watch = frozen.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&target).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(relay(client_read, server_write, watch.subscribe()));
                tokio::spawn(relay(server_read, client_write, watch.subscribe()));
            }
        });
        Ok(FreezableProxy {
            addr,
            frozen,
            accept,
        })
    }

    /// `nats://127.0.0.1:<port>`: give this to the node as its broker.
    pub fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    /// Holds everything in both directions from now on.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Lets what was held, and everything after, through.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Copies `from` to `to`, holding each chunk read while frozen.
async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if frozen.wait_for(|frozen| !*frozen).await.is_err() {
            break;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
