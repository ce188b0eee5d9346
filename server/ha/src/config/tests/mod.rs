//! Loader tests: precedence, the config file, booleans, validation. The environment is passed
//! explicitly (`load_from_env`) so tests running in parallel never share process variables.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use clap::CommandFactory;

use super::*;

mod layers;
mod validation;

pub(super) fn load(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut argv = vec!["ha"];
    argv.extend_from_slice(args);
    Config::load_from_env(argv, env)
}

pub(super) fn ok(args: &[&str], env: &[(&str, &str)]) -> Config {
    load(args, env).unwrap_or_else(|e| panic!("{args:?} {env:?}: {e}"))
}

pub(super) fn err(args: &[&str], env: &[(&str, &str)]) -> String {
    match load(args, env) {
        Ok(c) => panic!("{args:?} {env:?} should fail, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

/// A config file in a fresh temp directory, removed on drop.
pub(super) struct TempFile(PathBuf);

impl TempFile {
    pub(super) fn new(text: &str) -> TempFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ha-config-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ha.conf");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        TempFile(path)
    }

    pub(super) fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
