//! Embeds the git commit for `ha --version` as HA_GIT_COMMIT. A build outside a git checkout
//! (a source tarball, a Docker context without .git) gets "unknown", or the HA_GIT_COMMIT given
//! in the build environment.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HA_GIT_COMMIT");

    let commit = std::env::var("HA_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=HA_GIT_COMMIT={}", commit.trim());

    let head = Path::new("../../.git/HEAD");
    if head.exists() {
        println!("cargo:rerun-if-changed=../../.git/HEAD");
        // HEAD names a branch; a new commit moves the branch file, not HEAD.
        if let Ok(text) = std::fs::read_to_string(head)
            && let Some(reference) = text.trim().strip_prefix("ref: ")
        {
            // Before the branch's first commit its file does not exist yet: watch the folder
            // it will appear in.
            let path = Path::new("../../.git").join(reference);
            let watched = match path.parent() {
                Some(folder) if !path.exists() => folder.to_path_buf(),
                _ => path,
            };
            if watched.exists() {
                println!("cargo:rerun-if-changed={}", watched.display());
            }
        }
    }
}

fn git_commit() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (!commit.is_empty()).then_some(commit)
}
