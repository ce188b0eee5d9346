//! Which connection a URL names (SPEC §11).

use std::path::PathBuf;
use std::time::Duration;

use crate::{ClientError, ClientOptions};

/// What a URL asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A node's gRPC API: `http://host:port`, and the database of the URL's path (if any).
    Remote {
        endpoint: String,
        database: Option<String>,
    },
    /// An in-process replica on a local file.
    Local(LocalTarget),
}

/// An in-process replica's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTarget {
    pub path: PathBuf,
    /// The cluster database it follows.
    pub database: String,
    pub replication_url: String,
    pub node: String,
    pub read_only: bool,
    /// The stream (`--replication-stream` of the cluster).
    pub stream: String,
    /// How the replica writes its change sets (`replication_format=`, as a node's
    /// `--replication-format`).
    pub format: ha_types::ChangeSetFormat,
    pub timeout: Duration,
    /// The cluster's token: a replica of a leader-mode cluster forwards its writes to the
    /// leader with it.
    pub token: Option<String>,
    /// A certificate authority trusted, besides the system's, for a leader served over TLS.
    pub tls_ca_file: Option<PathBuf>,
}

/// Reads `url` (options beside it win over its query parameters).
pub fn parse_url(url: &str, options: &ClientOptions) -> Result<Target, ClientError> {
    let bad = |why: &str| ClientError::BadUrl(format!("{why}: {url}"));
    if let Some(rest) = url
        .strip_prefix("http://")
        .map(|r| ("http", r))
        .or_else(|| url.strip_prefix("https://").map(|r| ("https", r)))
    {
        let (scheme, rest) = rest;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() {
            return Err(bad("no host in the URL"));
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let database = options
            .database
            .clone()
            .or_else(|| (!path.is_empty()).then(|| decode(path)));
        return Ok(Target::Remote {
            endpoint: format!("{scheme}://{authority}"),
            database,
        });
    }
    let Some(rest) = url.strip_prefix("file:") else {
        return Err(bad(
            "use http://host:port[/db] for a node, or file:/path/app.db?replication_url=...&node=... for a replica",
        ));
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = PathBuf::from(decode(path.trim_start_matches("//")));
    let mut replication_url = None;
    let mut node = None;
    let mut database = None;
    let mut read_only = false;
    let mut stream = "ha_replication".to_string();
    let mut format = ha_types::ChangeSetFormat::default();
    let mut timeout = Duration::from_secs(15);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, "true"));
        let value = decode(value);
        match name {
            "replication_url" => replication_url = Some(value),
            "node" => node = Some(value),
            "database" => database = Some(value),
            "read_only" => {
                read_only = match value.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad("read_only takes true or false")),
                }
            }
            "stream" => stream = value,
            "replication_format" => {
                format = match value.as_str() {
                    "protobuf" => ha_types::ChangeSetFormat::Protobuf,
                    "json" => ha_types::ChangeSetFormat::Json,
                    _ => return Err(bad("replication_format takes protobuf or json")),
                }
            }
            "timeout_ms" => {
                timeout = Duration::from_millis(
                    value
                        .parse()
                        .map_err(|_| bad("timeout_ms takes milliseconds"))?,
                )
            }
            other => return Err(bad(&format!("unknown parameter {other}"))),
        }
    }
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| bad("no file name in the URL"))?;
    Ok(Target::Local(LocalTarget {
        database: options.database.clone().or(database).unwrap_or(file_name),
        replication_url: options
            .replication_url
            .clone()
            .or(replication_url)
            .ok_or_else(|| bad("a replica needs replication_url=nats://host:4222"))?,
        node: options.node.clone().or(node).ok_or_else(|| {
            bad("a replica needs node=NAME (its name in the cluster, stable across runs)")
        })?,
        read_only: options.read_only || read_only,
        stream,
        format,
        timeout: options.timeout.unwrap_or(timeout),
        path,
        token: options.token.clone(),
        tls_ca_file: options.tls_ca_file.clone(),
    }))
}

/// Percent-decoding (`%2F` → `/`); anything malformed is kept as it is.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_node_or_a_replica() {
        let none = ClientOptions::default();
        assert_eq!(
            parse_url("http://h:8080/app.db", &none).unwrap(),
            Target::Remote {
                endpoint: "http://h:8080".into(),
                database: Some("app.db".into())
            }
        );
        assert_eq!(
            parse_url("http://h:8080", &none).unwrap(),
            Target::Remote {
                endpoint: "http://h:8080".into(),
                database: None
            }
        );
        let Target::Local(local) = parse_url(
            "file:/tmp/x/app.db?replication_url=nats://h:4222&node=laptop-1&read_only=true",
            &none,
        )
        .unwrap() else {
            panic!("not local");
        };
        assert_eq!(local.path, PathBuf::from("/tmp/x/app.db"));
        assert_eq!(local.database, "app.db");
        assert_eq!(local.replication_url, "nats://h:4222");
        assert!(local.read_only);
        assert_eq!(local.format, ha_types::ChangeSetFormat::Protobuf);
        let Target::Local(local) = parse_url(
            "file:app.db?replication_url=nats://h:4222&node=n&database=ha.db",
            &none,
        )
        .unwrap() else {
            panic!("not local");
        };
        assert_eq!(local.database, "ha.db");
        let Target::Local(local) = parse_url(
            "file:app.db?replication_url=nats://h:4222&node=n&replication_format=json",
            &none,
        )
        .unwrap() else {
            panic!("not local");
        };
        assert_eq!(local.format, ha_types::ChangeSetFormat::Json);
        for bad in [
            "file:/a.db?replication_url=nats://h&node=n&replication_format=xml",
            "ftp://x",
            "file:/a.db?node=n",
            "file:/a.db?replication_url=nats://h",
            "file:/a.db?replication_url=nats://h&node=n&colour=red",
        ] {
            assert!(parse_url(bad, &none).is_err(), "{bad}");
        }
    }
}
