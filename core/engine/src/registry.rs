//! The databases a node serves, in the order they were given (the first is the default), and the
//! special commands that act on them.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use ha_types::{Statement, StatementResult, Value};
use tracing::info;

use ha_types::sql_text::TransactionCommand;

use crate::cross_db::CrossDatabaseQuery;
use crate::database::blocking;
use crate::dsn::validate_new_database_name;
use crate::session::Session;
use crate::{
    CoreError, Database, DatabaseOptions, DatabaseSpec, Executed, SpecialCommand, Storage,
};

/// How the registry opens databases created at run time.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// `-m`: databases live in memory.
    pub memory: bool,
    /// Where `CREATE DATABASE` puts new files (`--create-db-dir`, else the data directory).
    pub data_dir: PathBuf,
    /// `--db-params` for new file databases.
    pub db_params: String,
    pub database: DatabaseOptions,
}

/// Why a database was created or dropped while the node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A client of this node asked (`CREATE DATABASE`, `POST /databases`...): the node tells
    /// the cluster.
    Request,
    /// The cluster's directory of databases said so (another node's request): nothing to tell.
    Cluster,
}

/// Called with each database created while the node runs (the node starts its consumer, and
/// announces it to the cluster when a client asked for it).
pub type OnCreated = Box<dyn Fn(Arc<Database>, Cause) + Send + Sync>;

/// Called with the id of each database dropped while the node runs.
pub type OnDropped = Box<dyn Fn(&str, Cause) + Send + Sync>;

pub struct Registry {
    options: RegistryOptions,
    databases: RwLock<Vec<Arc<Database>>>,
    on_created: RwLock<Option<OnCreated>>,
    on_dropped: RwLock<Option<OnDropped>>,
}

impl Registry {
    /// Opens every database; two with the same id are an error. Blocking.
    pub fn open(specs: Vec<DatabaseSpec>, options: RegistryOptions) -> Result<Registry, CoreError> {
        let mut databases: Vec<Arc<Database>> = Vec::with_capacity(specs.len());
        for spec in specs {
            if databases.iter().any(|db| db.id() == spec.id) {
                return Err(CoreError::DatabaseExists(format!(
                    "{} (two databases have this id: each file's base name must be unique)",
                    spec.id
                )));
            }
            if let Some(other) = databases
                .iter()
                .find(|db| ha_types::log_name(db.id()) == ha_types::log_name(&spec.id))
            {
                return Err(CoreError::DatabaseExists(log_name_clash(
                    &spec.id,
                    other.id(),
                )));
            }
            databases.push(Arc::new(Database::open(spec, options.database.clone())?));
        }
        Ok(Registry {
            options,
            databases: RwLock::new(databases),
            on_created: RwLock::new(None),
            on_dropped: RwLock::new(None),
        })
    }

    /// Sets what happens to each database created from now on.
    pub fn on_created(&self, hook: OnCreated) {
        *self
            .on_created
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    /// Sets what happens after each database dropped from now on.
    pub fn on_dropped(&self, hook: OnDropped) {
        *self
            .on_dropped
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    /// The database named `id`, or the default one when `id` is `None`.
    pub fn get(&self, id: Option<&str>) -> Result<Arc<Database>, CoreError> {
        let databases = self
            .databases
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        match id {
            Some(id) => databases.iter().find(|db| db.id() == id).cloned(),
            None => databases.first().cloned(),
        }
        .ok_or_else(|| CoreError::UnknownDatabase(id.unwrap_or("(default)").to_string()))
    }

    pub fn ids(&self) -> Vec<String> {
        let databases = self
            .databases
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        databases.iter().map(|db| db.id().to_string()).collect()
    }

    /// Creates a database from a DSN naming a plain file name, for a client; returns its id.
    pub async fn create(&self, dsn: &str) -> Result<String, CoreError> {
        self.create_for(dsn, Cause::Request).await
    }

    /// Creates the database `id` that the cluster's directory lists, unless this node has it
    /// already. A file of that name left in the data directory is this node's earlier copy
    /// (the node restarted): it is opened, and its consumer goes on from its position.
    pub async fn create_from_cluster(&self, id: &str) -> Result<(), CoreError> {
        if self.ids().iter().any(|have| have == id) {
            return Ok(());
        }
        match self.create_for(id, Cause::Cluster).await {
            Ok(_) => Ok(()),
            // Created meanwhile by a client of this node.
            Err(CoreError::DatabaseExists(_)) if self.ids().iter().any(|have| have == id) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn create_for(&self, dsn: &str, cause: Cause) -> Result<String, CoreError> {
        let without_scheme = dsn.strip_prefix("file:").unwrap_or(dsn);
        let (name, params) = without_scheme
            .split_once('?')
            .map_or((without_scheme, None), |(n, p)| (n, Some(p.to_string())));
        validate_new_database_name(name)?;
        if self.ids().iter().any(|id| id == name) {
            return Err(CoreError::DatabaseExists(name.to_string()));
        }
        if let Some(other) = self
            .ids()
            .into_iter()
            .find(|id| ha_types::log_name(id) == ha_types::log_name(name))
        {
            return Err(CoreError::DatabaseExists(log_name_clash(name, &other)));
        }
        let storage = if self.options.memory {
            Storage::Memory { load_from: None }
        } else {
            let path = self.options.data_dir.join(name);
            if path.exists() && cause == Cause::Request {
                return Err(CoreError::DatabaseExists(format!(
                    "{name} (a file with that name is already in {})",
                    self.options.data_dir.display()
                )));
            }
            Storage::File {
                path,
                params: params.unwrap_or_else(|| self.options.db_params.clone()),
            }
        };
        let spec = DatabaseSpec {
            id: name.to_string(),
            storage,
        };
        let options = self.options.database.clone();
        let database = blocking(move || Database::open(spec, options)).await?;
        let mut databases = self
            .databases
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if databases.iter().any(|db| db.id() == name) {
            return Err(CoreError::DatabaseExists(name.to_string()));
        }
        let database = Arc::new(database);
        databases.push(Arc::clone(&database));
        drop(databases);
        if let Some(hook) = self
            .on_created
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            hook(database, cause);
        }
        info!(database = name, ?cause, "database created");
        Ok(name.to_string())
    }

    /// Opens `spec` in place of the database `id`, which the caller closed (a restore from a
    /// snapshot, SPEC §8): same id, same place in the list (the default stays the default).
    pub async fn reopen(&self, id: &str, spec: DatabaseSpec) -> Result<Arc<Database>, CoreError> {
        let options = self.options.database.clone();
        let database = Arc::new(blocking(move || Database::open(spec, options)).await?);
        let mut databases = self
            .databases
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let slot = databases
            .iter_mut()
            .find(|db| db.id() == id)
            .ok_or_else(|| CoreError::UnknownDatabase(id.to_string()))?;
        *slot = Arc::clone(&database);
        drop(databases);
        info!(database = id, "database reopened");
        Ok(database)
    }

    /// Closes a database and deletes its files, for a client. The default database can't be
    /// dropped.
    pub async fn drop_database(&self, id: &str) -> Result<(), CoreError> {
        self.drop_for(id, Cause::Request).await
    }

    /// Drops the database `id` because the cluster dropped it; one this node does not have is
    /// nothing to do.
    pub async fn drop_from_cluster(&self, id: &str) -> Result<(), CoreError> {
        match self.drop_for(id, Cause::Cluster).await {
            Err(CoreError::UnknownDatabase(_)) => Ok(()),
            other => other,
        }
    }

    async fn drop_for(&self, id: &str, cause: Cause) -> Result<(), CoreError> {
        let database = {
            let mut databases = self
                .databases
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let position = databases
                .iter()
                .position(|db| db.id() == id)
                .ok_or_else(|| CoreError::UnknownDatabase(id.to_string()))?;
            if position == 0 {
                return Err(CoreError::Conflict(format!(
                    "{id} is the default database and can't be dropped"
                )));
            }
            databases.remove(position)
        };
        blocking(move || {
            database.close();
            for file in database.files() {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(CoreError::Io {
                            context: format!("deleting {}", file.display()),
                            source,
                        });
                    }
                }
            }
            Ok(())
        })
        .await?;
        if let Some(hook) = self
            .on_dropped
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            hook(id, cause);
        }
        info!(database = id, ?cause, "database dropped");
        Ok(())
    }

    /// Runs a request for a session whose current database is `current` (`None`: the default):
    /// special commands act on the registry or the session, everything else goes to SQLite.
    pub async fn execute(
        &self,
        current: &mut Option<String>,
        statements: Vec<Statement>,
    ) -> Result<Executed, CoreError> {
        if let Some(query) = CrossDatabaseQuery::of_request(&statements)? {
            return Ok(Executed {
                results: vec![query.run(self).await?],
                seq: None,
            });
        }
        let special: Vec<Option<SpecialCommand>> = statements
            .iter()
            .map(|s| SpecialCommand::parse(&s.sql))
            .collect();
        match special.as_slice() {
            [Some(SpecialCommand::Undo(scope, since))] => {
                let database = self.get(current.as_deref())?;
                crate::history::undo(&database, *scope, *since).await
            }
            [Some(command)] => Ok(Executed {
                results: vec![self.run_special(current, command.clone()).await?],
                seq: None,
            }),
            _ if special.iter().any(Option::is_some) => Err(CoreError::BadRequest(
                "database commands (SHOW/CREATE/DROP/SET DATABASE) must be sent alone, not in a batch"
                    .into(),
            )),
            _ => self.get(current.as_deref())?.execute(statements).await,
        }
    }

    /// Runs statements for a wire-protocol session. One statement may be a transaction
    /// command, a special command, or SQL (inside the session's transaction when one is open).
    /// Several statements run as one implicit transaction (a batch), which is refused while
    /// the session has a transaction open or when one of them is a transaction command: send
    /// those one at a time.
    pub async fn execute_in(
        &self,
        session: &mut Session,
        mut statements: Vec<Statement>,
    ) -> Result<Executed, CoreError> {
        if statements.len() == 1 {
            let statement = statements.remove(0);
            if let Some(command) = TransactionCommand::parse(&statement.sql) {
                let current = session.database.clone();
                let done = session
                    .transaction_command(|| self.get(current.as_deref()), command)
                    .await;
                if done.is_err() {
                    // A failed SAVEPOINT/RELEASE/ROLLBACK TO aborts the transaction too.
                    session.fail_transaction();
                }
                return done;
            }
            if let Some(special) = SpecialCommand::parse(&statement.sql) {
                if session.in_transaction() {
                    let refused = match special {
                        SpecialCommand::SetDatabase(_) | SpecialCommand::UnsetDatabase => {
                            Some("the database can't be changed inside a transaction".into())
                        }
                        SpecialCommand::Undo(scope, _) => Some(format!(
                            "{} can't run inside a transaction: it is a transaction of its own \
                             (COMMIT or ROLLBACK first)",
                            scope.keyword()
                        )),
                        _ => None,
                    };
                    if let Some(message) = refused {
                        return Err(CoreError::Sql {
                            code: ha_types::ErrorCode::TransactionState,
                            message,
                        });
                    }
                }
                return self.execute(&mut session.database, vec![statement]).await;
            }
            if session.in_transaction() {
                crate::cross_db::refuse_in_transaction(&statement.sql)?;
                return Ok(Executed {
                    results: vec![session.run_in_transaction(statement).await?],
                    seq: None,
                });
            }
            statements.push(statement);
        } else if session.in_transaction()
            || statements
                .iter()
                .any(|s| TransactionCommand::parse(&s.sql).is_some())
        {
            return Err(CoreError::BadRequest(
                "inside a transaction, or with transaction commands, send statements one at a time"
                    .into(),
            ));
        }
        self.execute(&mut session.database, statements).await
    }

    /// [`Database::read_on_this_thread`] on database `id` (`None`: the default); special
    /// commands are left to [`Registry::execute`] (`Ok(None)`).
    pub fn read_on_this_thread(
        &self,
        id: Option<&str>,
        statement: &Statement,
    ) -> Result<Option<StatementResult>, CoreError> {
        if SpecialCommand::parse(&statement.sql).is_some()
            || ha_types::DatabaseHint::is_present(&statement.sql)
        {
            return Ok(None);
        }
        self.get(id)?.read_on_this_thread(statement)
    }

    /// Streams the rows of one read on database `id` (`None`: the default).
    pub async fn stream(
        &self,
        id: Option<&str>,
        statement: Statement,
        batch_rows: usize,
    ) -> Result<crate::RowStream, CoreError> {
        if let Some(query) = CrossDatabaseQuery::of_statement(&statement)? {
            return Ok(crate::RowStream::of_result(
                query.run(self).await?,
                batch_rows,
            ));
        }
        self.get(id)?.stream(statement, batch_rows).await
    }

    /// Describes a statement for a session (on its current database).
    pub async fn describe(
        &self,
        session: &Session,
        sql: &str,
    ) -> Result<ha_types::StatementDescription, CoreError> {
        if TransactionCommand::parse(sql).is_some() {
            return Ok(ha_types::StatementDescription::default());
        }
        if let Some(special) = SpecialCommand::parse(sql) {
            let column = |name: &str, declared: &str| ha_types::ColumnDescription {
                name: name.into(),
                declared_type: Some(declared.into()),
            };
            let columns = match special {
                SpecialCommand::ShowDatabases => vec![column("database", "TEXT")],
                SpecialCommand::History(_) => vec![
                    column("seq", "INTEGER"),
                    column("sql", "TEXT"),
                    column("timestamp", "TEXT"),
                ],
                SpecialCommand::Undo(..) => vec![
                    column("transactions_undone", "INTEGER"),
                    column("rows_undone", "INTEGER"),
                    column("schema_changes_not_undone", "INTEGER"),
                ],
                _ => Vec::new(),
            };
            return Ok(ha_types::StatementDescription {
                columns,
                // Only SHOW DATABASES may run early (at a Describe): it changes nothing.
                read_only: matches!(special, SpecialCommand::ShowDatabases),
                parameters: Vec::new(),
            });
        }
        if let Some(described) = crate::cross_db::describe(self, sql).await? {
            return Ok(described);
        }
        if let Some(described) = session.describe_in_transaction(sql).await {
            return described;
        }
        self.get(session.database.as_deref())?
            .describe(sql.to_string())
            .await
    }

    async fn run_special(
        &self,
        current: &mut Option<String>,
        command: SpecialCommand,
    ) -> Result<StatementResult, CoreError> {
        let done = StatementResult::Exec {
            rows_affected: 0,
            last_insert_id: 0,
        };
        match command {
            SpecialCommand::ShowDatabases => Ok(StatementResult::Rows {
                columns: vec!["database".into()],
                rows: self
                    .ids()
                    .into_iter()
                    .map(|id| vec![Value::Text(id)])
                    .collect(),
                declared_types: vec![Some("TEXT".into())],
                origins: Default::default(),
            }),
            SpecialCommand::CreateDatabase(dsn) => self.create(&dsn).await.map(|_| done),
            SpecialCommand::DropDatabase(id) => {
                self.drop_database(&id).await?;
                if current.as_deref() == Some(id.as_str()) {
                    *current = None;
                }
                Ok(done)
            }
            SpecialCommand::SetDatabase(id) => {
                self.get(Some(&id))?;
                *current = Some(id);
                Ok(done)
            }
            SpecialCommand::UnsetDatabase => {
                *current = None;
                Ok(done)
            }
            SpecialCommand::History(since) => {
                crate::history::history(&*self.get(current.as_deref())?, since).await
            }
            SpecialCommand::Undo(scope, since) => {
                let database = self.get(current.as_deref())?;
                let mut executed = crate::history::undo(&database, scope, since).await?;
                Ok(executed.results.remove(0))
            }
            SpecialCommand::Unusable(message) => Err(CoreError::BadRequest(message)),
        }
    }

    /// Closes every database (node shutdown). Blocking.
    pub fn close_all(&self) {
        let databases = self
            .databases
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for database in databases.iter() {
            database.close();
        }
    }
}

fn log_name_clash(id: &str, other: &str) -> String {
    format!(
        "{id} (its name in the replication log, {}, is {other}'s too: rename one of them)",
        ha_types::log_name(id)
    )
}
