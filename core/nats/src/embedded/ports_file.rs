//! Where the server listens, as it reports it in its ports file.
//!
//! With `--ports_file_dir DIR` nats-server writes `DIR/<program>_<pid>.ports`, e.g.
//! `{"nats":["nats://127.0.0.1:38917","nats://[::1]:38917"]}`, once its listeners are open.
//! Reading it is how we learn a port the server picked itself (port 0 asked), without the race
//! of picking a free port ourselves and hoping nobody takes it before the server binds it, and
//! how we learn the address of a server configured by the user's own file.

use std::path::Path;

/// A host and port clients connect to; `host` is in URL form (IPv6 in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    /// The host as a socket address wants it (no brackets).
    pub(crate) fn socket_host(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }
}

/// Removes ports files left by earlier processes (a killed server cannot remove its own).
pub(crate) fn clear(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "ports") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The client endpoint from the ports file of process `pid` in `dir`, once it is there and
/// complete. `dir` holds only our server's files, and is cleared before each start, so another
/// name is accepted as well: the program may be a wrapper whose pid is not the server's.
pub(crate) fn read(dir: &Path, pid: u32) -> Option<Endpoint> {
    let own = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ports"))
        .max_by_key(|path| {
            path.file_stem()
                .and_then(|stem| stem.to_str())
                .is_some_and(|stem| stem.ends_with(&format!("_{pid}")))
        })?;
    let text = std::fs::read_to_string(own).ok()?;
    parse(&text)
}

/// Picks the client endpoint out of a ports file's text, preferring loopback addresses (the
/// server listens on every interface by default, and lists them all).
pub(crate) fn parse(text: &str) -> Option<Endpoint> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let endpoints: Vec<Endpoint> = json
        .get("nats")?
        .as_array()?
        .iter()
        .filter_map(|url| parse_url(url.as_str()?))
        .collect();
    let rank = |endpoint: &Endpoint| match endpoint.host.as_str() {
        "127.0.0.1" => 0,
        "localhost" => 1,
        "[::1]" => 2,
        _ => 3,
    };
    endpoints.iter().min_by_key(|e| rank(e)).cloned()
}

fn parse_url(url: &str) -> Option<Endpoint> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (host, port) = rest.rsplit_once(':')?;
    if host.is_empty() {
        return None;
    }
    Some(Endpoint {
        host: host.to_string(),
        port: port.trim_end_matches('/').parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_loopback() {
        let text =
            r#"{"nats":["nats://192.0.2.2:38917","nats://[::1]:38917","nats://127.0.0.1:38917"]}"#;
        let endpoint = parse(text).unwrap();
        assert_eq!(endpoint.host, "127.0.0.1");
        assert_eq!(endpoint.port, 38917);
    }

    #[test]
    fn takes_the_only_address_of_a_server_bound_to_one() {
        let endpoint = parse(r#"{"nats":["nats://[fd00::2]:4222"]}"#).unwrap();
        assert_eq!(endpoint.host, "[fd00::2]");
        assert_eq!(endpoint.socket_host(), "fd00::2");
        assert_eq!(endpoint.port, 4222);
    }

    #[test]
    fn an_incomplete_file_is_not_read_yet() {
        assert_eq!(parse(r#"{"nats":["nats://127.0.0.1:4"#), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse(r#"{"monitoring":["http://127.0.0.1:8222"]}"#), None);
    }

    #[test]
    fn reads_and_clears_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let ports = dir.path().join("ports");
        clear(&ports).unwrap();
        assert_eq!(read(&ports, 42), None);
        std::fs::write(
            ports.join("nats-server_41.ports"),
            r#"{"nats":["nats://127.0.0.1:1"]}"#,
        )
        .unwrap();
        std::fs::write(
            ports.join("nats-server_42.ports"),
            r#"{"nats":["nats://127.0.0.1:2"]}"#,
        )
        .unwrap();
        assert_eq!(read(&ports, 42).unwrap().port, 2);
        clear(&ports).unwrap();
        assert_eq!(read(&ports, 42), None);
    }
}
