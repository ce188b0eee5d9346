//! One MySQL client connection: `opensrv-mysql` drives the protocol and calls this shim, which
//! runs every statement on the connection's `ClientSession` (the core's one write path, its
//! transactions and special commands) and answers what MySQL clients ask of the server itself.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::Arc;

use async_trait::async_trait;
use ha_server_api::{ApiError, ClientSession, QueryService, SessionOptions, TransactionStatus};
use ha_types::sql_text::{TransactionCommand, sets_last_row_id};
use ha_types::{
    CatalogQuery, ErrorCode, Params, SpecialCommand, Statement, StatementResult, Value,
};
use opensrv_mysql::{
    AsyncMysqlShim, Column, ColumnType, ErrorKind, InitWriter, OkResponse, ParamParser,
    QueryResultWriter, StatementMetaWriter, StatusFlags, ValueInner,
};
use tokio::io::AsyncWrite;
use tracing::debug;

use crate::compat::{self, Compat, Item};
use crate::error::mysql_error;
use crate::results::{self, text, write_rows, write_text_rows};
use crate::show::{
    SHOW_COLUMNS, SHOW_COLUMNS_NAMES, SHOW_INDEX, SHOW_INDEX_NAMES, SHOW_TABLE_STATUS,
    SHOW_TABLE_STATUS_NAMES, optional_text, show_columns_picked,
};
use crate::{MysqlConfig, auth, rewrite, variables};

/// A prepared statement of the connection.
struct Prepared {
    /// MySQL's text (the front end's own statements are answered again at each execution).
    mysql: String,
    sqlite: String,
}

pub(crate) struct Connection {
    id: u32,
    config: Arc<MysqlConfig>,
    /// Behind a mutex only because the protocol crate wants its shim `Sync`: calls that
    /// change it have the connection `&mut` and take it without locking (`get_mut`).
    session: std::sync::Mutex<Box<dyn ClientSession>>,
    scramble: [u8; 20],
    variables: BTreeMap<String, String>,
    autocommit: bool,
    last_insert_id: u64,
    /// `ROW_COUNT()`: the last statement's changed rows, -1 after one that returned rows.
    row_count: i64,
    statements: HashMap<u32, Prepared>,
    next_statement: u32,
}

impl Connection {
    pub(crate) fn open(
        id: u32,
        service: &Arc<dyn QueryService>,
        config: Arc<MysqlConfig>,
    ) -> Result<Connection, ApiError> {
        let session = service.open_session(SessionOptions {
            database: None,
            // MySQL: a failed statement leaves the transaction open.
            abort_on_error: false,
        })?;
        Ok(Connection {
            id,
            config,
            session: std::sync::Mutex::new(session),
            scramble: auth::scramble(),
            variables: variables::defaults(),
            autocommit: true,
            last_insert_id: 0,
            row_count: -1,
            statements: HashMap::new(),
            next_statement: 1,
        })
    }

    fn session(&mut self) -> &mut Box<dyn ClientSession> {
        self.session
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn in_transaction(&self) -> bool {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .transaction_status()
            != TransactionStatus::Idle
    }

    fn database(&self) -> Option<String> {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .database()
    }

    fn status(&self) -> StatusFlags {
        let mut flags = StatusFlags::empty();
        if self.autocommit {
            flags |= StatusFlags::SERVER_STATUS_AUTOCOMMIT;
        }
        if self.in_transaction() {
            flags |= StatusFlags::SERVER_STATUS_IN_TRANS;
        }
        flags
    }

    fn ok(&self, affected_rows: u64, last_insert_id: u64) -> OkResponse {
        OkResponse {
            affected_rows,
            last_insert_id,
            status_flags: self.status(),
            ..OkResponse::default()
        }
    }

    async fn execute_one(&mut self, sql: String) -> Result<StatementResult, ApiError> {
        let outcome = self.session().execute(vec![Statement::new(sql)]).await?;
        outcome
            .results
            .into_iter()
            .last()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "no answer"))
    }

    /// Runs SQL the MySQL way: with `autocommit=0` a transaction begins before the first
    /// statement that is not a transaction command; `BEGIN` inside one commits it first.
    async fn run(
        &mut self,
        mysql: &str,
        sqlite: String,
        params: Params,
    ) -> Result<StatementResult, ApiError> {
        let command = TransactionCommand::parse(&sqlite);
        let in_transaction = self.in_transaction();
        if matches!(command, Some(TransactionCommand::Begin)) && in_transaction {
            self.execute_one("COMMIT".into()).await?;
        } else if command.is_none()
            && !self.autocommit
            && !in_transaction
            && SpecialCommand::parse(&sqlite).is_none()
        {
            self.execute_one("BEGIN".into()).await?;
        }
        let outcome = self
            .session()
            .execute(vec![Statement::with_params(sqlite, params)])
            .await?;
        if let Some(seq) = outcome.seq {
            self.variables.insert("ha_last_seq".into(), seq.to_string());
        }
        let result = outcome
            .results
            .into_iter()
            .last()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "no answer"))?;
        self.row_count = match &result {
            StatementResult::Exec { rows_affected, .. } => {
                i64::try_from(*rows_affected).unwrap_or(i64::MAX)
            }
            StatementResult::Rows { .. } => -1,
        };
        if let StatementResult::Exec {
            rows_affected,
            last_insert_id,
        } = &result
            && *rows_affected > 0
            && sets_last_row_id(mysql)
        {
            self.last_insert_id = u64::try_from(*last_insert_id).unwrap_or(0);
        }
        Ok(result)
    }

    async fn answer<W: AsyncWrite + Send + Unpin>(
        &self,
        mysql: &str,
        result: Result<StatementResult, ApiError>,
        writer: QueryResultWriter<'_, W>,
    ) -> io::Result<()> {
        match result {
            Ok(StatementResult::Rows {
                mut columns,
                rows,
                declared_types,
                origins,
            }) => {
                // MySQL's name for the column of SHOW DATABASES.
                if matches!(
                    SpecialCommand::parse(mysql),
                    Some(SpecialCommand::ShowDatabases)
                ) {
                    columns = vec!["Database".into()];
                }
                write_rows(writer, &columns, &declared_types, &rows, &origins).await
            }
            Ok(StatementResult::Exec { rows_affected, .. }) => {
                let id = if sets_last_row_id(mysql) {
                    self.last_insert_id
                } else {
                    0
                };
                writer.completed(self.ok(rows_affected, id)).await
            }
            Err(error) => {
                debug!(connection = self.id, code = %error.code, "statement failed: {}", error.message);
                let (kind, message) = mysql_error(&error);
                writer.error(kind, message.as_bytes()).await
            }
        }
    }

    /// Answers a statement of MySQL's own (see [`compat`]).
    async fn compat<W: AsyncWrite + Send + Unpin>(
        &mut self,
        statement: Compat,
        writer: QueryResultWriter<'_, W>,
    ) -> io::Result<()> {
        match statement {
            Compat::Set(pairs) => match self.set(pairs).await {
                Ok(()) => writer.completed(self.ok(0, 0)).await,
                Err(error) => {
                    let (kind, message) = mysql_error(&error);
                    writer.error(kind, message.as_bytes()).await
                }
            },
            Compat::Select(items) => {
                let names: Vec<String> = items.iter().map(|(name, _)| name.clone()).collect();
                let row: Vec<Value> = items.iter().map(|(_, item)| self.item(item)).collect();
                write_rows(writer, &names, &[], &[row], &[]).await
            }
            Compat::ShowVariables { like } => {
                let rows = self
                    .variables
                    .iter()
                    .filter(|(name, _)| like.as_deref().is_none_or(|p| compat::like(p, name)))
                    .map(|(name, value)| vec![Some(name.clone()), Some(value.clone())])
                    .collect();
                write_text_rows(writer, &["Variable_name", "Value"], rows).await
            }
            Compat::ShowNothing { columns } => write_text_rows(writer, &columns, Vec::new()).await,
            Compat::ShowTables { full, like } => {
                let result = self.catalog(CatalogQuery::Tables, None).await;
                let tables = match result {
                    Ok(rows) => rows,
                    Err(error) => return self.answer("", Err(error), writer).await,
                };
                let title = format!("Tables_in_{}", self.database().unwrap_or_default());
                let rows = tables
                    .into_iter()
                    .filter_map(|t| {
                        let name = text(t.first());
                        like.as_deref()
                            .is_none_or(|p| compat::like(p, &name))
                            .then(|| {
                                let kind = if text(t.get(1)) == "view" {
                                    "VIEW"
                                } else {
                                    "BASE TABLE"
                                };
                                let mut row = vec![Some(name)];
                                if full {
                                    row.push(Some(kind.to_string()));
                                }
                                row
                            })
                    })
                    .collect();
                let names: Vec<&str> = if full {
                    vec![&title, "Table_type"]
                } else {
                    vec![&title]
                };
                write_text_rows(writer, &names, rows).await
            }
            Compat::ShowColumns { table, full } => {
                let columns = match self.information_schema(SHOW_COLUMNS, &table).await {
                    Ok(rows) => rows,
                    Err(error) => return self.answer("", Err(error), writer).await,
                };
                // SHOW FULL COLUMNS adds the collation, privileges and comment.
                let picked = show_columns_picked(full);
                let rows = columns
                    .iter()
                    .map(|c| picked.iter().map(|&i| optional_text(c.get(i))).collect())
                    .collect();
                let names: Vec<&str> = picked.iter().map(|&i| SHOW_COLUMNS_NAMES[i]).collect();
                write_text_rows(writer, &names, rows).await
            }
            Compat::ShowCreateTable { table } => {
                let tables = match self.table_rows(CatalogQuery::Tables, &table).await {
                    Ok(rows) => rows,
                    Err(error) => return self.answer("", Err(error), writer).await,
                };
                let is_view = tables.first().is_some_and(|t| text(t.get(1)) == "view");
                if is_view {
                    let sql = tables.first().map(|t| text(t.get(2))).unwrap_or_default();
                    let names = [
                        "View",
                        "Create View",
                        "character_set_client",
                        "collation_connection",
                    ];
                    let row = vec![
                        Some(table),
                        Some(sql),
                        Some("utf8mb4".into()),
                        Some("utf8mb4_0900_ai_ci".into()),
                    ];
                    return write_text_rows(writer, &names, vec![row]).await;
                }
                let mut parts = Vec::new();
                for query in [
                    CatalogQuery::Columns,
                    CatalogQuery::Indexes,
                    CatalogQuery::ForeignKeys,
                ] {
                    match self.catalog(query, Some(&table)).await {
                        Ok(rows) => parts.push(rows),
                        Err(error) => return self.answer("", Err(error), writer).await,
                    }
                }
                let table_sql = tables.first().map(|t| text(t.get(2))).unwrap_or_default();
                let sql = crate::create_table::mysql_create_table(
                    &table,
                    &parts[0],
                    &parts[1],
                    &parts[2],
                    &ha_types::generated_columns(&table_sql),
                );
                write_text_rows(
                    writer,
                    &["Table", "Create Table"],
                    vec![vec![Some(table), Some(sql)]],
                )
                .await
            }
            Compat::ShowIndex { table } => {
                let indexes = match self.information_schema(SHOW_INDEX, &table).await {
                    Ok(rows) => rows,
                    Err(error) => return self.answer("", Err(error), writer).await,
                };
                let rows = indexes
                    .iter()
                    .map(|i| i.iter().map(|v| optional_text(Some(v))).collect())
                    .collect();
                write_text_rows(writer, &SHOW_INDEX_NAMES, rows).await
            }
            Compat::ShowTableStatus { like } => {
                let tables = match self.rows(Statement::new(SHOW_TABLE_STATUS)).await {
                    Ok(rows) => rows,
                    Err(error) => return self.answer("", Err(error), writer).await,
                };
                let rows = tables
                    .iter()
                    .filter(|t| {
                        like.as_deref()
                            .is_none_or(|p| compat::like(p, &text(t.first())))
                    })
                    .map(|t| t.iter().map(|v| optional_text(Some(v))).collect())
                    .collect();
                write_text_rows(writer, &SHOW_TABLE_STATUS_NAMES, rows).await
            }
            Compat::Transaction(command) => {
                let result = self.run(command, command.to_string(), Params::None).await;
                self.answer(command, result, writer).await
            }
        }
    }

    /// Rows of a catalog query for one table, or MySQL's "doesn't exist" when it has none.
    async fn table_rows(
        &mut self,
        query: CatalogQuery,
        table: &str,
    ) -> Result<Vec<Vec<Value>>, ApiError> {
        self.must_exist(table).await?;
        self.catalog(query, Some(table)).await
    }

    /// MySQL's "doesn't exist" unless `table` is a table or view of the database.
    async fn must_exist(&mut self, table: &str) -> Result<(), ApiError> {
        if self
            .catalog(CatalogQuery::Tables, Some(table))
            .await?
            .is_empty()
        {
            let database = self.database().unwrap_or_default();
            return Err(ApiError::new(
                ErrorCode::SqlUnknownObject,
                format!("Table '{database}.{table}' doesn't exist"),
            ));
        }
        Ok(())
    }

    /// Rows of one of the `information_schema` views about `table` (`?1`), or MySQL's
    /// "doesn't exist" when there is no such table.
    async fn information_schema(
        &mut self,
        sql: &str,
        table: &str,
    ) -> Result<Vec<Vec<Value>>, ApiError> {
        self.must_exist(table).await?;
        let parameter = Params::Positional(vec![Value::Text(table.to_string())]);
        self.rows(Statement::with_params(sql, parameter)).await
    }

    async fn catalog(
        &mut self,
        query: CatalogQuery,
        table: Option<&str>,
    ) -> Result<Vec<Vec<Value>>, ApiError> {
        self.rows(query.statement(table)).await
    }

    /// The rows of the front end's own query on the session.
    async fn rows(&mut self, statement: Statement) -> Result<Vec<Vec<Value>>, ApiError> {
        let outcome = self.session().execute(vec![statement]).await?;
        Ok(outcome
            .results
            .into_iter()
            .last()
            .map(results::rows_of)
            .unwrap_or_default())
    }

    /// `sqlite` with the session's values written in where it reads them beside other
    /// expressions (see [`rewrite::with_session_values`]).
    fn with_session_values(&self, sqlite: String) -> String {
        rewrite::with_session_values(&sqlite, |item| self.item(item)).unwrap_or(sqlite)
    }

    /// An item's value, typed as MySQL types it: numbers (`@@autocommit`, `LAST_INSERT_ID()`,
    /// a numeric variable) as integers, the rest as text.
    fn item(&self, item: &Item) -> Value {
        let number = |n: i64| Value::Integer(n);
        let text = |t: Option<String>| t.map_or(Value::Null, Value::Text);
        match item {
            Item::Variable(name) if name == "autocommit" => number(i64::from(self.autocommit)),
            Item::Variable(name) => match self.variables.get(name) {
                Some(value) => value
                    .parse::<i64>()
                    .map_or_else(|_| Value::Text(value.clone()), Value::Integer),
                None => Value::Null,
            },
            Item::Database => text(self.database()),
            Item::Version => text(self.variables.get("version").cloned()),
            Item::User => Value::Text(format!("{}@%", self.config.user)),
            Item::ConnectionId => number(i64::from(self.id)),
            Item::LastInsertId => number(i64::try_from(self.last_insert_id).unwrap_or(i64::MAX)),
            Item::RowCount => number(self.row_count),
            Item::Literal(value) => value.clone(),
        }
    }

    async fn set(&mut self, pairs: Vec<(String, String)>) -> Result<(), ApiError> {
        for (name, value) in pairs {
            match name.as_str() {
                "autocommit" => {
                    let on = match value.to_ascii_lowercase().as_str() {
                        "1" | "on" | "true" => true,
                        "0" | "off" | "false" => false,
                        _ => {
                            return Err(ApiError::new(
                                ErrorCode::BadRequest,
                                format!(
                                    "Variable 'autocommit' can't be set to the value of '{value}'"
                                ),
                            ));
                        }
                    };
                    // MySQL: turning autocommit on commits the open transaction.
                    if on && self.in_transaction() {
                        self.execute_one("COMMIT".into()).await?;
                    }
                    self.autocommit = on;
                }
                "ha_min_seq" => {
                    let seq = value.parse::<u64>().map_err(|_| {
                        ApiError::new(
                            ErrorCode::BadRequest,
                            "ha_min_seq takes a log sequence (a number)",
                        )
                    })?;
                    self.session().set_min_seq(Some(seq));
                    self.variables.insert(name, value);
                }
                _ => {
                    self.variables.insert(name, value);
                }
            }
        }
        Ok(())
    }
}

/// A parameter of COM_STMT_EXECUTE as an SQL value: bytes sent as a string type are text when
/// they are UTF-8, bytes sent as a BLOB stay bytes.
fn parameter(value: opensrv_mysql::ParamValue<'_>) -> Value {
    let blob_type = matches!(
        value.coltype,
        ColumnType::MYSQL_TYPE_BLOB
            | ColumnType::MYSQL_TYPE_TINY_BLOB
            | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
            | ColumnType::MYSQL_TYPE_LONG_BLOB
            | ColumnType::MYSQL_TYPE_GEOMETRY
    );
    match value.value.into_inner() {
        ValueInner::NULL => Value::Null,
        ValueInner::Int(i) => Value::Integer(i),
        ValueInner::UInt(u) => i64::try_from(u).map_or(Value::Real(u as f64), Value::Integer),
        ValueInner::Double(f) => Value::Real(f),
        ValueInner::Bytes(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) if !blob_type => Value::Text(text.to_string()),
            _ => Value::Blob(bytes.to_vec()),
        },
        // Dates and times in their binary form: SQLite's ISO-8601 text.
        inner @ (ValueInner::Date(_) | ValueInner::Time(_) | ValueInner::Datetime(_)) => {
            Value::Text(crate::temporal::iso_text(inner))
        }
    }
}

#[async_trait]
impl<W: AsyncWrite + Send + Unpin> AsyncMysqlShim<W> for Connection {
    type Error = io::Error;

    fn version(&self) -> String {
        self.variables
            .get("version")
            .cloned()
            .unwrap_or_else(|| variables::SERVER_VERSION.to_string())
    }

    fn connect_id(&self) -> u32 {
        self.id
    }

    fn status_flags(&self) -> StatusFlags {
        self.status()
    }

    fn salt(&self) -> [u8; 20] {
        self.scramble
    }

    fn accepts_auth_plugin(&self, plugin: &str) -> bool {
        auth::Plugin::from_name(plugin).is_some()
    }

    async fn authenticate(&self, plugin: &str, user: &[u8], salt: &[u8], response: &[u8]) -> bool {
        auth::Plugin::from_name(plugin).is_some_and(|plugin| {
            user == self.config.user.as_bytes()
                && auth::verify(plugin, &self.config.password, salt, response)
        })
    }

    async fn on_init<'a>(
        &'a mut self,
        database: &'a str,
        writer: InitWriter<'a, W>,
    ) -> io::Result<()> {
        let sql = format!("USE {}", compat::unquote(database));
        match self.execute_one(sql).await {
            Ok(_) => writer.ok().await,
            Err(error) => {
                let (kind, message) = mysql_error(&error);
                writer.error(kind, message.as_bytes()).await
            }
        }
    }

    async fn on_query<'a>(
        &'a mut self,
        sql: &'a str,
        writer: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        if let Some(statement) = compat::parse(sql) {
            return self.compat(statement, writer).await;
        }
        let sqlite = rewrite::to_sqlite(sql);
        let sqlite = self.with_session_values(sqlite);
        let result = self.run(sql, sqlite, Params::None).await;
        self.answer(sql, result, writer).await
    }

    async fn on_query_bytes<'a>(
        &'a mut self,
        sql: &'a [u8],
        writer: QueryResultWriter<'a, W>,
    ) -> io::Result<()>
    where
        W: AsyncWrite + Unpin + 'async_trait,
    {
        if let Ok(text) = std::str::from_utf8(sql) {
            return self.on_query(text, writer).await;
        }
        let rewritten = rewrite::binary_literals(sql);
        match String::from_utf8(rewritten) {
            Ok(text) => self.on_query(&text, writer).await,
            Err(_) => {
                let message = "the query is not valid UTF-8 outside its string literals";
                writer
                    .error(ErrorKind::ER_INVALID_CHARACTER_STRING, message.as_bytes())
                    .await
            }
        }
    }

    async fn on_prepare<'a>(
        &'a mut self,
        sql: &'a str,
        info: StatementMetaWriter<'a, W>,
    ) -> io::Result<()> {
        let sqlite = rewrite::to_sqlite(sql);
        let (parameters, columns) = if compat::parse(sql).is_some() {
            (Vec::new(), Vec::new())
        } else {
            match self.session().describe(&sqlite).await {
                Ok(description) => (
                    description
                        .parameters
                        .iter()
                        .map(|_| results::column("?", ColumnType::MYSQL_TYPE_VAR_STRING, true))
                        .collect::<Vec<Column>>(),
                    description
                        .columns
                        .iter()
                        .map(|c| results::declared_column(&c.name, c.declared_type.as_deref()))
                        .collect::<Vec<Column>>(),
                ),
                Err(error) => {
                    let (kind, message) = mysql_error(&error);
                    return info.error(kind, message.as_bytes()).await;
                }
            }
        };
        let id = self.next_statement;
        self.next_statement = self.next_statement.wrapping_add(1).max(1);
        self.statements.insert(
            id,
            Prepared {
                mysql: sql.to_string(),
                sqlite,
            },
        );
        info.reply(id, &parameters, &columns).await
    }

    async fn on_execute<'a>(
        &'a mut self,
        id: u32,
        params: ParamParser<'a>,
        writer: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        let Some(prepared) = self.statements.get(&id) else {
            let message =
                format!("Unknown prepared statement handler ({id}) given to mysqld_stmt_execute");
            return writer
                .error(ErrorKind::ER_UNKNOWN_STMT_HANDLER, message.as_bytes())
                .await;
        };
        let (mysql, sqlite) = (prepared.mysql.clone(), prepared.sqlite.clone());
        if let Some(statement) = compat::parse(&mysql) {
            return self.compat(statement, writer).await;
        }
        let values: Vec<Value> = params.into_iter().map(parameter).collect();
        let params = if values.is_empty() {
            Params::None
        } else {
            Params::Positional(values)
        };
        let sqlite = self.with_session_values(sqlite);
        let result = self.run(&mysql, sqlite, params).await;
        self.answer(&mysql, result, writer).await
    }

    async fn on_close<'a>(&'a mut self, id: u32)
    where
        W: 'async_trait,
    {
        self.statements.remove(&id);
    }
}
