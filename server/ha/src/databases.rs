//! Which databases a node serves, from its configuration (SPEC §1, §2): positional DSNs and glob
//! patterns, the SQLite files found in `--create-db-dir`, or `ha.db` when none is given.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ha_core::{DatabaseSpec, RegistryOptions};

use crate::config::Config;

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The data directory: where `ha.db` and new databases go (`--create-db-dir`, else the working
/// directory).
pub(crate) fn data_dir(config: &Config) -> anyhow::Result<PathBuf> {
    match &config.create_db_dir {
        Some(dir) => Ok(dir.clone()),
        None => std::env::current_dir().context("reading the working directory"),
    }
}

pub(crate) fn registry_options(config: &Config) -> anyhow::Result<RegistryOptions> {
    Ok(RegistryOptions {
        memory: config.memory,
        data_dir: data_dir(config)?,
        db_params: config.db_params.clone(),
        database: ha_core::DatabaseOptions {
            concurrent_queries: config.concurrent_queries,
            queue_wait: config.concurrent_queries_wait,
            replication: None,
            transaction_idle_timeout: config.transaction_idle_timeout,
            read_only: false,
            inline_read_budget: config.inline_read_budget,
            // A node's files are its own: nobody writes them behind its back.
            exclusive_file: true,
        },
    })
}

pub(crate) fn specs(config: &Config) -> anyhow::Result<Vec<DatabaseSpec>> {
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let mut dsns = Vec::new();
    for given in &config.databases {
        dsns.extend(expand(given)?);
    }
    if let Some(dir) = &config.create_db_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--create-db-dir: creating {}", dir.display()))?;
        for file in sqlite_files_in(dir)? {
            let dsn = file.to_string_lossy().into_owned();
            if !dsns.iter().any(|d| same_file(d, &file)) {
                dsns.push(dsn);
            }
        }
    }
    if dsns.is_empty() {
        dsns.push(
            data_dir(config)?
                .join("ha.db")
                .to_string_lossy()
                .into_owned(),
        );
    }
    dsns.iter()
        .map(|dsn| {
            DatabaseSpec::from_dsn(dsn, config.memory, &config.db_params, &cwd)
                .map_err(|e| anyhow::anyhow!("database {dsn}: {e}"))
        })
        .collect()
}

/// A glob pattern becomes the files it matches (sorted); a DSN or plain name stays as it is.
fn expand(given: &str) -> anyhow::Result<Vec<String>> {
    let is_pattern = !given.starts_with("file:") && given.contains(['*', '?', '[']);
    if !is_pattern {
        return Ok(vec![given.to_string()]);
    }
    let mut matches: Vec<String> = glob::glob(given)
        .with_context(|| format!("invalid database pattern {given:?}"))?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches.is_empty() {
        bail!("database pattern {given:?} matches no file");
    }
    matches.sort();
    Ok(matches)
}

fn sqlite_files_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("--create-db-dir: reading {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.is_file() && has_sqlite_header(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn has_sqlite_header(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok()
        && &header == SQLITE_HEADER
}

fn same_file(dsn: &str, file: &Path) -> bool {
    let path = dsn.strip_prefix("file:").unwrap_or(dsn);
    let path = path.split('?').next().unwrap_or(path);
    match (std::fs::canonicalize(path), std::fs::canonicalize(file)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
