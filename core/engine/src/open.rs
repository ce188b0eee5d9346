//! Opening a database's connections: one read-write connection for the writer and any number of
//! read-only ones for readers, over the same file or the same named in-memory database.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};

use crate::capture::Capture;
use crate::classify::{ActionLog, StatementClass};
use crate::{CoreError, DatabaseSpec, Storage};

/// How many SQLite VM instructions run between two looks at a reader's deadline: a point read
/// takes a few dozen, so it never pays for the look; a long scan looks every few microseconds.
const READ_BUDGET_CHECK_OPS: std::ffi::c_int = 1000;

/// The deadline of a read run on an async worker thread. Past it, SQLite's progress handler
/// interrupts the statement and records that it overran, so the caller runs it again on the
/// blocking pool: a short read skips two thread hand-offs, a long one never stalls the runtime.
/// Atomics, not a lock: it is armed and disarmed on every read.
#[derive(Default)]
pub(crate) struct ReadBudget {
    /// Nanoseconds after [`budget_epoch`]; 0: not armed.
    deadline: std::sync::atomic::AtomicU64,
    overran: std::sync::atomic::AtomicBool,
}

/// The instant read deadlines count from (the first read of the process).
fn budget_epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

fn nanos_since_epoch() -> u64 {
    u64::try_from(budget_epoch().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl ReadBudget {
    /// Arms the deadline for the statement about to run.
    pub(crate) fn start(&self, budget: std::time::Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        self.overran.store(false, Relaxed);
        let budget = u64::try_from(budget.as_nanos()).unwrap_or(u64::MAX);
        self.deadline
            .store(nanos_since_epoch().saturating_add(budget).max(1), Relaxed);
    }

    /// Disarms it; `true` when the statement was interrupted for overrunning it.
    pub(crate) fn stop(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.deadline.store(0, Relaxed);
        self.overran.swap(false, Relaxed)
    }

    /// The progress handler: interrupt once the armed deadline is past.
    fn overran(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let deadline = self.deadline.load(Relaxed);
        let overran = deadline != 0 && nanos_since_epoch() > deadline;
        if overran {
            self.overran.store(true, Relaxed);
        }
        overran
    }
}

/// A connection with its action log (see [`crate::classify`]).
pub(crate) struct Conn {
    pub conn: Connection,
    pub actions: Arc<ActionLog>,
    /// The class of each SQL text in the connection's statement cache: a cached statement is not
    /// prepared again, so the authorizer does not report it again.
    classes: RefCell<HashMap<String, StatementClass>>,
    /// Where the result columns of each cached statement come from.
    origins: RefCell<crate::origins::OriginCache>,
    /// Where the writer records schema statements for replication.
    schema_recorder: RefCell<Option<Capture>>,
    /// A memory database's directory lives as long as any of its connections.
    _scratch: Option<Arc<MemoryDir>>,
    /// A reader's deadline while it runs on an async worker (see [`ReadBudget`]).
    pub budget: Arc<ReadBudget>,
}

/// Statements kept prepared per connection.
const STATEMENT_CACHE: usize = 64;

impl Conn {
    /// Installs the PostgreSQL catalog ([`crate::catalog`]) when `sql` may read it. Before
    /// a client's statement is prepared, so that the views are not taken for its own.
    pub(crate) fn catalog_for(&self, sql: &str) -> rusqlite::Result<()> {
        if ha_types::sql_text::may_name_catalog(sql) {
            crate::catalog::ensure(&self.conn)?;
        }
        Ok(())
    }

    /// Runs one of the engine's own statements (BEGIN, COMMIT, SAVEPOINT, ...) from the
    /// statement cache: they run for every job, and preparing them each time costs more than
    /// running them.
    ///
    /// It goes through [`Conn::prepare_cached`] so that its class is remembered with the cached
    /// statement: a client sending the same text later gets the cached statement *and* its
    /// class (transaction control), and is refused.
    pub(crate) fn control(&self, sql: &str) -> rusqlite::Result<()> {
        match self.prepare_cached(sql) {
            Some((mut stmt, _)) => stmt.execute([]).map(|_| ()),
            None => self.conn.execute_batch(sql),
        }
    }

    pub(crate) fn set_schema_recorder(&self, recorder: Option<Capture>) {
        *self.schema_recorder.borrow_mut() = recorder;
    }

    /// Records a schema statement about to run (made idempotent) for replication.
    pub(crate) fn record_schema_change(
        &self,
        stmt: &rusqlite::Statement<'_>,
    ) -> rusqlite::Result<()> {
        if let Some(recorder) = self.schema_recorder.borrow().as_ref()
            && let Some(sql) = stmt.expanded_sql()
        {
            recorder.push_sql(&self.conn, crate::replication::idempotent_ddl(&sql))?;
        }
        Ok(())
    }

    /// A client's statement finished on the writer (see [`Capture::statement_finished`]).
    pub(crate) fn statement_finished(&self) -> rusqlite::Result<()> {
        match self.schema_recorder.borrow().as_ref() {
            Some(recorder) => recorder.statement_finished(&self.conn),
            None => Ok(()),
        }
    }

    /// Where the columns of `stmt`, prepared from the cached text `sql`, come from.
    pub(crate) fn origins(
        &self,
        sql: &str,
        stmt: &rusqlite::Statement<'_>,
    ) -> crate::origins::Origins {
        self.origins.borrow_mut().get(&self.conn, sql, stmt)
    }

    /// A cached prepared statement for a single-statement text and its class, or `None` when the
    /// text is not exactly one statement that prepares (the caller then takes the slow path,
    /// which reports the precise error).
    pub(crate) fn prepare_cached(
        &self,
        sql: &str,
    ) -> Option<(rusqlite::CachedStatement<'_>, StatementClass)> {
        self.actions.reset();
        let stmt = self.conn.prepare_cached(sql).ok()?;
        let fresh = self.actions.take();
        let mut classes = self.classes.borrow_mut();
        if classes.len() >= 4 * STATEMENT_CACHE {
            // Forget classes only together with the statements they describe.
            classes.clear();
            self.origins.borrow_mut().clear();
            drop(stmt);
            self.conn.flush_prepared_statement_cache();
            return None;
        }
        // Looked up before inserted: `entry` would allocate the key on every run.
        let class = match classes.get_mut(sql) {
            Some(class) => {
                *class = class.union(fresh);
                *class
            }
            None => {
                classes.insert(sql.to_string(), fresh);
                fresh
            }
        };
        Some((stmt, class))
    }
}

/// SQLite URI query parameters; every other `--db-params` name is applied as a PRAGMA.
const URI_PARAMETERS: &[&str] = &[
    "vfs",
    "mode",
    "cache",
    "psow",
    "nolock",
    "immutable",
    "modeof",
];

/// Names of the Go driver's DSN options that users carry over, mapped to the PRAGMA they set.
const PRAGMA_ALIASES: &[(&str, &str)] = &[
    ("journal", "journal_mode"),
    ("sync", "synchronous"),
    ("fk", "foreign_keys"),
    ("timeout", "busy_timeout"),
];

/// A memory database's private directory, and the lock that says its process is alive.
#[derive(Debug)]
pub(crate) struct MemoryDir {
    dir: tempfile::TempDir,
    /// An exclusive lock on `owner.lock`, held while the directory is in use: a directory whose
    /// lock can be taken belongs to a process that is gone (a lock, unlike a pid, means that
    /// across pid namespaces sharing /dev/shm too).
    _owner: std::fs::File,
}

impl MemoryDir {
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

const OWNER_LOCK: &str = "owner.lock";

/// A fresh private directory for a memory database: on tmpfs (`/dev/shm`) when the system has
/// one, else in the temporary directory. Directories that a killed process left behind are
/// found by their lock and removed first.
fn memory_directory() -> Result<MemoryDir, CoreError> {
    let io = |source| CoreError::Io {
        context: "creating a memory database's directory".into(),
        source,
    };
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    remove_orphans(&base);
    let dir = tempfile::Builder::new()
        .prefix("ha-memory-")
        .tempdir_in(&base)
        .or_else(|_| tempfile::Builder::new().prefix("ha-memory-").tempdir())
        .map_err(io)?;
    // Locked under another name, then renamed: another node's start that sweeps orphans
    // (`remove_orphans`) must never find `owner.lock` unlocked between its creation and its
    // lock, and take this live directory for a dead one (seen when nodes started together).
    let pending = dir.path().join("owner.lock.new");
    let owner = std::fs::File::create(&pending).map_err(io)?;
    owner.lock().map_err(io)?;
    std::fs::rename(&pending, dir.path().join(OWNER_LOCK)).map_err(io)?;
    Ok(MemoryDir { dir, _owner: owner })
}

/// Removes memory database directories whose owner is gone (killed before it could).
fn remove_orphans(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("ha-memory-")
        {
            continue;
        }
        let Ok(lock) = std::fs::File::open(entry.path().join(OWNER_LOCK)) else {
            // Being created right now (no lock file yet), or not ours.
            continue;
        };
        if lock.try_lock().is_ok() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Everything needed to open more connections to one database.
#[derive(Debug, Clone)]
pub(crate) struct Opener {
    uri: String,
    /// The file holding the pages (a memory database's is in its private directory).
    path: std::path::PathBuf,
    pragmas: Vec<(String, String)>,
    load_from: Option<std::path::PathBuf>,
    /// A memory database's private directory, removed with the last opener (the database's).
    scratch: Option<Arc<MemoryDir>>,
    database: String,
    /// SQLite's `unix-excl` VFS instead of its default (see [`Opener::exclusive`]).
    exclusive: bool,
}

impl Opener {
    pub(crate) fn new(spec: &DatabaseSpec) -> Result<Opener, CoreError> {
        match &spec.storage {
            Storage::File { path, params } => {
                let (uri_params, pragmas) = split_params(params)?;
                let mut uri = format!("file:{}", encode_path(path));
                if !uri_params.is_empty() {
                    uri.push('?');
                    uri.push_str(&uri_params.join("&"));
                }
                Ok(Opener {
                    uri,
                    path: path.clone(),
                    pragmas,
                    load_from: None,
                    scratch: None,
                    database: spec.id.clone(),
                    exclusive: false,
                })
            }
            Storage::Memory { load_from } => {
                // A memory database is a WAL file in a private directory on tmpfs (/dev/shm),
                // removed when the database is: RAM like SQLite's memdb, but with WAL's
                // concurrency, so readers never wait for a transaction that writes (memdb
                // refuses new readers while any write lock is held).
                let scratch = memory_directory()?;
                let name: String = spec
                    .id
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let path = scratch.path().join(name);
                Ok(Opener {
                    uri: format!("file:{}", encode_path(&path)),
                    path: path.clone(),
                    pragmas: vec![
                        ("busy_timeout".into(), "5000".into()),
                        ("journal_mode".into(), "WAL".into()),
                        // Nothing of a memory database outlives the process: no fsync.
                        ("synchronous".into(), "OFF".into()),
                    ],
                    load_from: load_from.clone(),
                    scratch: Some(Arc::new(scratch)),
                    database: spec.id.clone(),
                    exclusive: false,
                })
            }
        }
    }

    /// Holds the file for this process alone while any of its connections is open: SQLite's
    /// `unix-excl` VFS takes one exclusive lock on the file for the process and from then on
    /// locks between this process's connections in memory, with the WAL index in memory
    /// instead of the `-shm` file. Every read transaction then skips the `fcntl` calls (and
    /// the mutex held around them, which the readers of two workers fought over) of the shared
    /// WAL index; and no other program can write the file behind the node's back, where
    /// nothing would capture or replicate its changes. Off for an in-process replica, whose
    /// host program may read its file with its own SQLite library. A `vfs=` parameter in the
    /// database's URI still wins.
    pub(crate) fn exclusive(mut self, exclusive: bool) -> Opener {
        self.exclusive = exclusive;
        self
    }

    fn connect(&self, flags: OpenFlags) -> rusqlite::Result<Connection> {
        #[cfg(unix)]
        if self.exclusive {
            return Connection::open_with_flags_and_vfs(&self.uri, flags, c"unix-excl");
        }
        Connection::open_with_flags(&self.uri, flags)
    }

    pub(crate) fn pages_file(&self) -> &Path {
        &self.path
    }

    /// The writer's connection; for a memory database also copies in its source file.
    pub(crate) fn open_writer(&self) -> Result<Conn, CoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = self
            .connect(flags)
            .map_err(CoreError::storage(format!("opening {}", self.uri)))?;
        // A memory database's source is copied in first: the backup API can't copy into a
        // WAL database of another page size.
        if let Some(source) = &self.load_from {
            load_file(&mut conn, source)?;
        }
        self.apply_pragmas(&conn)?;
        let conn = with_action_log(conn, self.scratch.clone(), &self.database)?;
        // The writer's own statements (outbox, positions, applies) are internal; a client's
        // statement is prepared under `ActionLog::client_statement`.
        conn.actions.set_internal(true);
        Ok(conn)
    }

    /// A reader's connection: read-only, so a statement routed to it can never write.
    pub(crate) fn open_reader(&self) -> Result<Conn, CoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = self.connect(flags).map_err(CoreError::storage(format!(
            "opening {} read-only",
            self.uri
        )))?;
        let busy = self
            .pragmas
            .iter()
            .find(|(name, _)| name == "busy_timeout")
            .map_or("5000", |(_, value)| value.as_str());
        conn.execute_batch(&format!("PRAGMA busy_timeout = {busy}"))
            .map_err(CoreError::storage("setting busy_timeout"))?;
        let mut conn = with_action_log(conn, self.scratch.clone(), &self.database)?;
        let budget = Arc::clone(&conn.budget);
        conn.conn
            .progress_handler(READ_BUDGET_CHECK_OPS, Some(move || budget.overran()))
            .map_err(CoreError::storage("installing the progress handler"))?;
        Ok(conn)
    }

    fn apply_pragmas(&self, conn: &Connection) -> Result<(), CoreError> {
        for (name, value) in &self.pragmas {
            // journal_mode answers with a row; query it rather than execute it.
            conn.query_row(&format!("PRAGMA {name} = {value}"), [], |_| Ok(()))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(()),
                    other => Err(other),
                })
                .map_err(|e| {
                    let context = if is_busy(&e) {
                        format!(
                            "{} is held by another process (another node serving the same \
                             file?): a node needs its database files to itself",
                            self.path.display()
                        )
                    } else {
                        format!("{}: PRAGMA {name} = {value}", self.uri)
                    };
                    CoreError::storage(context)(e)
                })?;
        }
        Ok(())
    }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

fn with_action_log(
    mut conn: Connection,
    scratch: Option<Arc<MemoryDir>>,
    database: &str,
) -> Result<Conn, CoreError> {
    let actions =
        ActionLog::install(&mut conn).map_err(CoreError::storage("installing authorizer"))?;
    crate::catalog::register(&conn, database)
        .map_err(CoreError::storage("registering the catalog's functions"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(Conn {
        conn,
        actions,
        classes: RefCell::new(HashMap::new()),
        origins: RefCell::default(),
        schema_recorder: RefCell::new(None),
        _scratch: scratch,
        budget: Arc::default(),
    })
}

/// Copies `source` into the memory database. The file (with its WAL, if any) is copied to a
/// temporary directory first and read from there: opening a WAL database, even read-only,
/// creates `-wal` and `-shm` files beside it, and the source must stay untouched.
fn load_file(conn: &mut Connection, source: &Path) -> Result<(), CoreError> {
    let context = format!("loading {} into memory", source.display());
    let io = |source: std::io::Error| CoreError::Io {
        context: context.clone(),
        source,
    };
    let temp = tempfile::tempdir().map_err(io)?;
    let copy = temp.path().join("source.db");
    std::fs::copy(source, &copy).map_err(io)?;
    let mut wal = source.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        let mut copy_wal = copy.as_os_str().to_owned();
        copy_wal.push("-wal");
        std::fs::copy(&wal, &copy_wal).map_err(io)?;
    }
    let from = Connection::open(&copy).map_err(CoreError::storage(context.clone()))?;
    // A WAL file's header says WAL; the memory database must not inherit that.
    from.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .map_err(CoreError::storage(context.clone()))?;
    let backup =
        rusqlite::backup::Backup::new(&from, conn).map_err(CoreError::storage(context.clone()))?;
    backup.step(-1).map_err(CoreError::storage(context))?;
    Ok(())
}

/// `--db-params` split: URI parameters (`name=value`) and PRAGMAs (`(name, value)`).
type SplitParams = (Vec<String>, Vec<(String, String)>);

fn split_params(params: &str) -> Result<SplitParams, CoreError> {
    let mut uri = Vec::new();
    let mut pragmas = Vec::new();
    for pair in params.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, "1"));
        let bare = name.trim_start_matches('_');
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        };
        if !plain(bare) || !plain(value) {
            return Err(CoreError::BadRequest(format!(
                "invalid database parameter {pair:?}"
            )));
        }
        if URI_PARAMETERS.contains(&bare) {
            uri.push(format!("{bare}={value}"));
        } else {
            let pragma = PRAGMA_ALIASES
                .iter()
                .find(|(alias, _)| *alias == bare)
                .map_or(bare, |(_, pragma)| pragma);
            pragmas.push((pragma.to_string(), value.to_string()));
        }
    }
    // journal_mode first: the other settings apply to the journal that results.
    pragmas.sort_by_key(|(name, _)| name != "journal_mode");
    Ok((uri, pragmas))
}

/// File names in URIs escape `%`, `?` and `#`.
fn encode_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_split_into_uri_and_pragmas() {
        let (uri, pragmas) =
            split_params("busy_timeout=5000&_journal_mode=WAL&cache=shared&_sync=NORMAL").unwrap();
        assert_eq!(uri, vec!["cache=shared"]);
        assert_eq!(
            pragmas,
            vec![
                ("journal_mode".to_string(), "WAL".to_string()),
                ("busy_timeout".to_string(), "5000".to_string()),
                ("synchronous".to_string(), "NORMAL".to_string()),
            ]
        );
        assert!(split_params("journal_mode=WAL;DROP TABLE x").is_err());
    }

    #[test]
    fn paths_are_escaped() {
        assert_eq!(encode_path(Path::new("/a b/c?d#e%f")), "/a b/c%3fd%23e%25f");
    }
}
