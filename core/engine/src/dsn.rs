use std::path::{Path, PathBuf};

use crate::CoreError;

/// Where a database's pages live.
#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    /// A file on disk, opened with these SQLite URI parameters / pragmas (`a=1&b=2`).
    File { path: PathBuf, params: String },
    /// Pages in memory; `load_from` is an existing file copied in at open and never written.
    Memory { load_from: Option<PathBuf> },
}

/// A database to open: its id (the file's base name) and its storage.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseSpec {
    pub id: String,
    pub storage: Storage,
}

impl DatabaseSpec {
    /// Reads a DSN as users write it: `app.db`, `/data/app.db`, `file:app.db`,
    /// `file:app.db?cache=shared`. Parameters in the DSN replace `default_params`. Relative paths
    /// are taken from `base_dir`. With `memory`, an existing file is loaded into memory.
    pub fn from_dsn(
        dsn: &str,
        memory: bool,
        default_params: &str,
        base_dir: &Path,
    ) -> Result<DatabaseSpec, CoreError> {
        let without_scheme = dsn.strip_prefix("file:").unwrap_or(dsn);
        let (path_text, params) = match without_scheme.split_once('?') {
            Some((path, params)) => (path, params.to_string()),
            None => (without_scheme, default_params.to_string()),
        };
        if path_text.is_empty() || path_text == ":memory:" {
            return Err(CoreError::BadRequest(format!(
                "database DSN {dsn:?} names no file; use -m for in-memory databases"
            )));
        }
        let path = base_dir.join(path_text);
        let id = database_id(&path)
            .ok_or_else(|| CoreError::BadRequest(format!("database DSN {dsn:?} names no file")))?;
        let storage = if memory {
            Storage::Memory {
                load_from: path.exists().then_some(path),
            }
        } else {
            Storage::File { path, params }
        };
        Ok(DatabaseSpec { id, storage })
    }
}

/// A database's id is its file's base name: `/data/users_1.db` → `users_1.db`.
pub fn database_id(path: &Path) -> Option<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
}

/// A name given to `CREATE DATABASE`: a plain file name, so a client cannot make the node write
/// outside its database directory.
pub fn validate_new_database_name(name: &str) -> Result<(), CoreError> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255;
    if plain {
        Ok(())
    } else {
        Err(CoreError::BadRequest(format!(
            "invalid database name {name:?}: use a plain file name such as app.db"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_forms() {
        let base = Path::new("/base");
        let spec = DatabaseSpec::from_dsn("app.db", false, "journal_mode=WAL", base).unwrap();
        assert_eq!(spec.id, "app.db");
        assert_eq!(
            spec.storage,
            Storage::File {
                path: "/base/app.db".into(),
                params: "journal_mode=WAL".into()
            }
        );
        let spec =
            DatabaseSpec::from_dsn("file:/data/users_1.db?cache=shared", false, "x", base).unwrap();
        assert_eq!(spec.id, "users_1.db");
        assert_eq!(
            spec.storage,
            Storage::File {
                path: "/data/users_1.db".into(),
                params: "cache=shared".into()
            }
        );
        let spec = DatabaseSpec::from_dsn("nope.db", true, "", base).unwrap();
        assert_eq!(spec.storage, Storage::Memory { load_from: None });
        assert!(DatabaseSpec::from_dsn("file:", false, "", base).is_err());
    }

    #[test]
    fn new_names_are_plain() {
        assert!(validate_new_database_name("a.db").is_ok());
        assert!(validate_new_database_name("../a.db").is_err());
        assert!(validate_new_database_name("/etc/a.db").is_err());
        assert!(validate_new_database_name("").is_err());
    }
}
