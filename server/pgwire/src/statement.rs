//! A statement as the extended protocol keeps it between Parse, Describe, Bind and Execute.
//! Parse only rewrites the text; nothing touches the database until Describe or Execute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use pgwire::api::portal::Format;
use pgwire::api::results::FieldInfo;
use pgwire::api::stmt::QueryParser;
use pgwire::api::{ClientInfo, Type};
use pgwire::error::PgWireResult;

use crate::compat::Compat;
use crate::rewrite::rewrite;

#[derive(Debug)]
pub(crate) struct PgStatement {
    /// The text for SQLite (`$N` → `?N`, casts dropped).
    pub sql: String,
    /// `$N::type` casts: the parameter's type when the client gave none.
    pub casts: HashMap<usize, String>,
    /// Result columns the statement aggregates into arrays (`array_agg`), by name.
    pub array_columns: HashMap<String, Type>,
    /// Answered by the front end (`SET`, `SHOW`, `SELECT version()`...).
    pub compat: Option<Compat>,
    /// What the engine says of the statement, asked once (at its first Describe).
    pub analysis: OnceLock<Analysis>,
    /// Fixed by the first Describe of the statement: every later execution sends its rows in
    /// these types, as the client was told.
    pub described: OnceLock<Described>,
    /// The result types told at the latest Describe of one of its portals: an Execute that
    /// comes without a Describe (a client re-running a named statement) sends these, since
    /// that is what the client decodes with.
    pub last_told: Mutex<Option<Vec<Type>>>,
}

pub(crate) type Statement = Arc<PgStatement>;

/// Parameter and result types as told to the client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Described {
    pub parameters: Vec<Type>,
    pub names: Vec<String>,
    pub types: Vec<Type>,
}

/// A statement's parameters and columns as far as known without running it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Analysis {
    pub parameters: Vec<Type>,
    pub names: Vec<String>,
    /// `None`: an expression whose type only its values tell.
    pub types: Vec<Option<Type>>,
    /// The statement does not write (a read may run at Describe to type its columns).
    pub read_only: bool,
}

impl PgStatement {
    pub(crate) fn new(sql: &str) -> PgStatement {
        let rewritten = rewrite(sql);
        PgStatement {
            compat: Compat::parse(sql),
            sql: rewritten.sql,
            casts: rewritten.casts,
            array_columns: rewritten.array_columns,
            analysis: OnceLock::new(),
            described: OnceLock::new(),
            last_told: Mutex::new(None),
        }
    }
}

impl PgStatement {
    pub(crate) fn remember_told(&self, types: &[Type]) {
        if let Ok(mut told) = self.last_told.lock() {
            *told = Some(types.to_vec());
        }
    }

    pub(crate) fn told(&self) -> Option<Vec<Type>> {
        self.last_told.lock().ok().and_then(|told| told.clone())
    }
}

impl Described {
    pub(crate) fn fields(&self, format: Option<&Format>) -> Arc<Vec<FieldInfo>> {
        crate::types::fields(&self.names, &self.types, format, &[])
    }
}

#[derive(Debug, Default)]
pub(crate) struct Parser;

#[async_trait]
impl QueryParser for Parser {
    type Statement = Statement;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        Ok(Some(Arc::new(PgStatement::new(sql))))
    }

    // Describe is answered by the handler (it needs the session); these are not used.
    fn get_parameter_types(&self, _stmt: &Statement) -> PgWireResult<Vec<Type>> {
        Ok(Vec::new())
    }

    fn get_result_schema(
        &self,
        _stmt: &Statement,
        _column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(Vec::new())
    }
}
