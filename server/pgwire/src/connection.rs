//! One client connection's state: its engine session, the settings it `SET`, and the results
//! of portals that were run early to describe them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ha_server_api::ClientSession;
use ha_types::{ColumnOrigin, ColumnType, Value};
use pgwire::api::Type;
use pgwire::api::results::{FieldInfo, Tag};

pub(crate) struct Connection {
    pub session: Box<dyn ClientSession>,
    pub user: String,
    pub settings: HashMap<String, String>,
    /// Portal name → its result, computed at Describe (a read) and sent at Execute.
    pub ran_early: HashMap<String, RanEarly>,
    /// Portal name → the result types told at Describe for a portal that was not run early.
    pub portal_types: HashMap<String, Vec<Type>>,
    /// Statement texts that met a value their columns' types, told before the values, could
    /// not carry: from then on this connection describes their columns as text, which
    /// carries every value (a client re-running a prepared statement decodes with what it
    /// was told, whatever the values are).
    pub text_only: HashSet<String>,
    /// A write portal whose Describe waits for its Execute ([`crate::deferred`]).
    pub deferred: Option<crate::deferred::Deferred>,
    /// The portal being executed whose rows are described by their values (its Describe was
    /// deferred).
    pub described_by_values: Option<String>,
}

impl Connection {
    /// The types to tell for `statement`'s columns: `types`, or text for a statement whose
    /// values did not fit before.
    pub(crate) fn types_to_tell(&self, sql: &str, types: Vec<Type>) -> Vec<Type> {
        if self.text_only.contains(sql) {
            vec![Type::TEXT; types.len()]
        } else {
            types
        }
    }
}

/// What one statement produced, before encoding.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Rows {
        names: Vec<String>,
        /// Declared types (`None`: follow the values).
        declared: Vec<Option<ColumnType>>,
        /// The array type of a column the statement aggregates into an array (`array_agg`).
        arrays: Vec<Option<Type>>,
        rows: Vec<Vec<Value>>,
        /// The table column each column reads (empty when not known): RowDescription's
        /// table OID and attribute number.
        origins: Arc<Vec<Option<ColumnOrigin>>>,
        /// The command word(s) of the tag (`SELECT`, `INSERT 0`, `SHOW`); the row count is
        /// appended when sent.
        command: String,
    },
    Command(Tag),
}

/// A read portal run at its Describe: its result, and the fields that Describe told (its
/// Execute encodes the rows in them).
#[derive(Debug)]
pub(crate) struct RanEarly {
    pub outcome: Outcome,
    pub fields: Arc<Vec<FieldInfo>>,
}

pub(crate) type SharedConnection = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// A connection's state, held for the whole of one message's handling (locked once per
/// message, not once per step of it).
pub(crate) type LockedConnection = tokio::sync::OwnedMutexGuard<Option<Connection>>;
