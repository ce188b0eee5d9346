//! The catalogs the wire protocols' tools read, computed from SQLite's own schema:
//! PostgreSQL's (`pg_catalog`, `information_schema`: psql, pgjdbc's `DatabaseMetaData`,
//! SQLAlchemy's inspector, GUI tools) and MySQL's `information_schema` (Connector/J, Django,
//! GUI tools), so they see the database's tables, columns, indexes and constraints.
//!
//! Both are temporary views on the connection over one set of helper tables ([`helpers`],
//! built on the core's `CatalogQuery`): [`postgres`] and [`mysql`]. The functions the tools
//! call are SQL functions ([`functions`], [`mysql_functions`]), registered on every connection;
//! the views are installed the first time a statement names them. A wire protocol's
//! translation only renames: the PostgreSQL door drops `pg_catalog.` and writes
//! `information_schema.x` as `information_schema_x`, the MySQL door writes it as
//! `mysql_information_schema_x`.

mod functions;
mod helpers;
mod mysql;
mod mysql_functions;
mod postgres;

use rusqlite::{Connection, OptionalExtension};

/// Registers the catalog's functions on a new connection (cheap: no SQL runs), so that
/// queries calling them without naming a relation (`SELECT set_config(...)`, `version()`)
/// find them too.
pub(crate) fn register(conn: &Connection, database: &str) -> rusqlite::Result<()> {
    functions::register(conn, database)?;
    mysql_functions::register(conn, database)?;
    rusqlite::vtab::series::load_module(conn)
}

/// Installs the catalog's relations on `conn`, or brings them up to date with the schema. A
/// temporary table or view created inside a transaction that is rolled back goes with it, so
/// the test is on the relations themselves, and on the schema version they were made from.
pub(crate) fn ensure(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA main.schema_version", [], |r| r.get(0))?;
    let installed = conn
        .prepare_cached("SELECT 1 FROM temp.sqlite_schema WHERE name = 'pg_class'")?
        .exists([])?;
    if installed {
        let made_from: Option<i64> = conn
            .prepare_cached("SELECT version FROM temp.ha_catalog_state")?
            .query_row([], |r| r.get(0))
            .optional()?;
        if made_from == Some(version) {
            return Ok(());
        }
        return materialize(conn, version);
    }
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS ha_bool(b BOOLEAN PRIMARY KEY) WITHOUT ROWID;
         INSERT OR IGNORE INTO ha_bool VALUES (0), (1);
         CREATE TEMP TABLE IF NOT EXISTS ha_catalog_state(version INTEGER)",
    )?;
    for statement in helpers::sources() {
        conn.execute_batch(&statement)?;
    }
    materialize(conn, version)?;
    for statement in helpers::statements(postgres::VIEWS)
        .into_iter()
        .chain(helpers::statements(mysql::VIEWS))
    {
        conn.execute_batch(&statement)?;
    }
    Ok(())
}

/// Fills the helper tables from their views, for schema version `version`.
fn materialize(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    for (table, keys) in helpers::HELPERS {
        let source = table.replacen("ha_", "ha_source_", 1);
        let mut sql = format!(
            "DROP TABLE IF EXISTS temp.{table}; CREATE TEMP TABLE {table} AS SELECT * FROM {source};"
        );
        for key in keys.iter() {
            sql.push_str(&format!(
                "CREATE INDEX temp.{table}_{key} ON {table}({key});"
            ));
        }
        conn.execute_batch(&sql)?;
    }
    conn.execute("DELETE FROM temp.ha_catalog_state", [])?;
    conn.execute("INSERT INTO temp.ha_catalog_state VALUES (?1)", [version])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
               name VARCHAR(50), score DOUBLE PRECISION DEFAULT 0);
             CREATE TABLE posts(id INTEGER PRIMARY KEY,
               user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE, title TEXT,
               published BOOLEAN DEFAULT false);
             CREATE INDEX posts_user ON posts(user_id, title DESC);
             CREATE VIEW recent AS SELECT id, title FROM posts;
             CREATE TABLE _ha_outbox(id INTEGER PRIMARY KEY);",
        )
        .unwrap();
        register(&conn, "app.db").unwrap();
        ensure(&conn).unwrap();
        conn
    }

    fn strings(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn relations_without_the_servers_own() {
        let conn = catalog();
        assert_eq!(
            strings(
                &conn,
                "SELECT relname || ':' || relkind FROM pg_class WHERE relnamespace = 2200 ORDER BY 1"
            ),
            [
                "posts:r",
                "posts_pkey:i",
                "posts_user:i",
                "recent:v",
                "users:r",
                "users_email_key:i",
                "users_pkey:i"
            ]
        );
        ensure(&conn).unwrap();
    }

    #[test]
    fn mysql_information_schema_over_the_same_helpers() {
        let conn = catalog();
        assert_eq!(
            strings(
                &conn,
                "SELECT COLUMN_NAME || ' ' || COLUMN_TYPE || ' ' || IS_NULLABLE || ' ' || COLUMN_KEY
                   || ' ' || EXTRA FROM mysql_information_schema_columns
                 WHERE TABLE_SCHEMA = database() AND TABLE_NAME = 'users'
                 ORDER BY ORDINAL_POSITION"
            ),
            [
                "id integer NO PRI auto_increment",
                "email text NO UNI ",
                "name varchar(50) YES  ",
                "score double precision YES  "
            ]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT INDEX_NAME || ':' || SEQ_IN_INDEX || ':' || COLUMN_NAME || ':' || COLLATION
                 FROM mysql_information_schema_statistics WHERE TABLE_NAME = 'posts'
                 ORDER BY INDEX_NAME, SEQ_IN_INDEX"
            ),
            [
                "PRIMARY:1:id:A",
                "posts_user:1:user_id:A",
                "posts_user:2:title:D"
            ]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT CONSTRAINT_NAME || ' ' || REFERENCED_TABLE_NAME || '.' || REFERENCED_COLUMN_NAME
                 FROM mysql_information_schema_key_column_usage
                 WHERE REFERENCED_TABLE_NAME IS NOT NULL"
            ),
            ["posts_ibfk_1 users.id"]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT TABLE_NAME FROM mysql_information_schema_tables ORDER BY 1"
            ),
            ["posts", "recent", "users"]
        );
    }

    #[test]
    fn columns_types_and_definitions() {
        let conn = catalog();
        assert_eq!(
            strings(
                &conn,
                "SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                 WHERE c.relname = 'users' ORDER BY 1"
            ),
            [
                "email text 1",
                "id integer 1",
                "name character varying(50) 0",
                "score double precision 0"
            ]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint ORDER BY conname"
            ),
            [
                "PRIMARY KEY (id)",
                "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
                "UNIQUE (email)",
                "PRIMARY KEY (id)"
            ]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT pg_get_indexdef(c.oid) FROM pg_class c WHERE relname = 'posts_user'"
            ),
            ["CREATE INDEX posts_user ON public.posts USING btree (user_id, title DESC)"]
        );
        assert_eq!(
            strings(
                &conn,
                "SELECT column_name || ' ' || data_type || ' ' || is_nullable
                 FROM information_schema_columns WHERE table_name = 'posts' ORDER BY ordinal_position"
            ),
            [
                "id integer NO",
                "user_id bigint NO",
                "title text YES",
                "published boolean YES"
            ]
        );
    }

    #[test]
    fn views_rolled_back_with_a_transaction_are_installed_again() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn, "app.db").unwrap();
        conn.execute_batch("CREATE TABLE t(a); BEGIN").unwrap();
        ensure(&conn).unwrap();
        assert_eq!(
            strings(
                &conn,
                "SELECT relname FROM pg_class WHERE relnamespace = 2200"
            ),
            ["t"]
        );
        conn.execute_batch("ROLLBACK").unwrap();
        let views: i64 = conn
            .query_row("SELECT count(*) FROM temp.sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(views, 0, "the rollback took the views");
        ensure(&conn).unwrap();
        assert_eq!(
            strings(
                &conn,
                "SELECT relname FROM pg_class WHERE relnamespace = 2200"
            ),
            ["t"]
        );
        // A schema change: the helper tables are made again from the new schema.
        conn.execute_batch("CREATE TABLE u(b INTEGER PRIMARY KEY)")
            .unwrap();
        ensure(&conn).unwrap();
        assert_eq!(
            strings(
                &conn,
                "SELECT relname FROM pg_class WHERE relnamespace = 2200 ORDER BY 1"
            ),
            ["t", "u", "u_pkey"]
        );
    }

    #[test]
    fn names_resolve_to_oids_and_back() {
        let conn = catalog();
        assert_eq!(
            strings(
                &conn,
                "SELECT ha_regclass(ha_regclass('public.users')) || ' ' || ha_regclass('pg_class')"
            ),
            ["users 1259"]
        );
        assert!(ha_types::sql_text::may_name_catalog(
            "select * from PG_CLASS"
        ));
        assert!(!ha_types::sql_text::may_name_catalog(
            "SELECT name FROM users WHERE id = 1"
        ));
    }
}
