//! Triggers and foreign-key actions are off on the writer's connection while other nodes'
//! change sets are applied: their effects were captured at the origin and arrive as rows of
//! their own. Switching either one expires every statement prepared on the connection (SQLite
//! compiles each again at its next step), which on a node that only applies cost a third of its
//! writer thread. So the connection stays in apply mode from one batch to the next, and is
//! switched back only when a client's statements are about to run on it.

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use tracing::error;

use crate::CoreError;

pub(crate) struct ApplyMode {
    /// `PRAGMA foreign_keys` of the connection (clients cannot change it: connection settings
    /// are denied), switched off while applying.
    foreign_keys: bool,
    /// Whether triggers (and foreign-key actions) are switched off now.
    applying: bool,
}

impl ApplyMode {
    pub(crate) fn new(foreign_keys: bool) -> ApplyMode {
        ApplyMode {
            foreign_keys,
            applying: false,
        }
    }

    /// Switches triggers and foreign-key actions off, unless they are already. Outside a
    /// transaction: `PRAGMA foreign_keys` is a no-op inside one.
    pub(crate) fn enter(&mut self, db: &Connection) -> Result<(), CoreError> {
        if !self.applying {
            switch(db, self.foreign_keys, true)?;
            self.applying = true;
        }
        Ok(())
    }

    /// Switches them back on before anything but applying runs on the connection.
    pub(crate) fn leave(&mut self, db: &Connection) {
        if self.applying {
            match switch(db, self.foreign_keys, false) {
                Ok(()) => self.applying = false,
                Err(e) => {
                    error!(error = %e, "turning triggers and foreign-key actions back on failed");
                }
            }
        }
    }
}

fn switch(db: &Connection, foreign_keys: bool, applying: bool) -> Result<(), CoreError> {
    if foreign_keys {
        let pragma = if applying {
            "PRAGMA foreign_keys = OFF"
        } else {
            "PRAGMA foreign_keys = ON"
        };
        db.execute_batch(pragma)
            .map_err(CoreError::storage("switching foreign-key actions"))?;
    }
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, !applying)
        .map_err(CoreError::storage("switching triggers"))?;
    Ok(())
}
