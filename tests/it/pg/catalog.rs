//! The PostgreSQL catalog (docs/postgresql.md "The catalog"): psql's meta-commands, the
//! information schema and `pg_catalog` queries see the database's tables, views, columns,
//! indexes and constraints, computed from SQLite's schema, and never the server's `_ha_*`
//! tables.

use super::{connect, pg_file_node, psql, text};

const SCHEMA: &str = "\
CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name VARCHAR(50),
  score DOUBLE PRECISION DEFAULT 0);
CREATE TABLE posts(id INTEGER PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE, title TEXT, body BLOB,
  published BOOLEAN DEFAULT false);
CREATE INDEX posts_user ON posts(user_id, title DESC);
CREATE VIEW recent AS SELECT id, title FROM posts;
";

/// psql's output for `commands` (after creating [`SCHEMA`]), failing on any error.
async fn psql_says(node: &ha_test_harness::TestNode, commands: &[&str]) -> String {
    let mut args = vec!["-v", "ON_ERROR_STOP=1"];
    for command in commands {
        args.extend(["-c", command]);
    }
    let output = psql(node, "", &args, "").await;
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    assert!(err.is_empty(), "{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_lists_and_describes_relations_from_the_catalog() {
    let node = pg_file_node(&[]).await;
    psql_says(&node, &[SCHEMA]).await;
    let out = psql_says(&node, &["\\dt", "\\dv", "\\di", "\\dn"]).await;
    for line in [
        " public | posts | table | ha",
        " public | users | table | ha",
        " public | recent | view | ha",
        " public | posts_pkey      | index | ha    | posts",
        " public | posts_user      | index | ha    | posts",
        " public | users_email_key | index | ha    | users",
        " public | users_pkey      | index | ha    | users",
        " public | ha",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
    assert!(!out.contains("_ha_"), "{out}");

    let out = psql_says(&node, &["\\d posts", "\\d users", "\\d+ users"]).await;
    for line in [
        " user_id   | bigint  |           | not null | ",
        " published | boolean |           |          | false",
        "    \"posts_pkey\" PRIMARY KEY, btree (id)",
        "    \"posts_user\" btree (user_id, title DESC)",
        "Foreign-key constraints:",
        "    \"posts_user_id_fkey\" FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
        " name   | character varying(50) |           |          | ",
        " score  | double precision      |           |          | 0",
        "    \"users_email_key\" UNIQUE CONSTRAINT, btree (email)",
        "Referenced by:",
        "    TABLE \"posts\" CONSTRAINT \"posts_user_id_fkey\" FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
        "Access method: heap",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
    // The catalog follows the schema as it changes.
    let out = psql_says(
        &node,
        &[
            "DROP VIEW recent; ALTER TABLE posts ADD COLUMN views INTEGER NOT NULL DEFAULT 0",
            "SELECT 'views: ' || count(*) FROM pg_catalog.pg_views",
            "\\d posts",
        ],
    )
    .await;
    assert!(out.contains("views: 0"), "{out}");
    assert!(
        out.contains(" views     | integer |           | not null | 0"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_information_schema_and_pg_catalog_answer_what_tools_ask() {
    let node = pg_file_node(&[]).await;
    psql_says(&node, &[SCHEMA]).await;
    let client = connect(&node).await;
    let strings = |rows: Vec<tokio_postgres::Row>| -> Vec<String> {
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.get::<_, Option<String>>(i)
                            .unwrap_or_else(|| "NULL".into())
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let tables = client
        .query(
            "SELECT table_name, table_type FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY table_name",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        strings(tables),
        ["posts BASE TABLE", "recent VIEW", "users BASE TABLE"]
    );
    let columns = client
        .query(
            "SELECT column_name, data_type, is_nullable, column_default \
             FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            &[&"users"],
        )
        .await
        .unwrap();
    assert_eq!(
        strings(columns),
        [
            "id integer NO NULL",
            "email text NO NULL",
            "name character varying YES NULL",
            "score double precision YES 0"
        ]
    );
    let constraints = client
        .query(
            "SELECT tc.constraint_name, tc.constraint_type, kcu.column_name \
             FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name \
             WHERE tc.table_name IN ('users', 'posts') ORDER BY 1, 3",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        strings(constraints),
        [
            "posts_pkey PRIMARY KEY id",
            "posts_user_id_fkey FOREIGN KEY user_id",
            "users_email_key UNIQUE email",
            "users_pkey PRIMARY KEY id"
        ]
    );
    // pg_catalog joins, regclass casts, `= ANY (ARRAY[...])` and regular expressions.
    let relations = client
        .query(
            "SELECT c.relname, c.relkind::text FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = ANY (ARRAY['r', 'v']) \
               AND c.relname ~ '^(posts|recent)$' AND pg_catalog.pg_table_is_visible(c.oid) \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(strings(relations), ["posts r", "recent v"]);
    let attributes = client
        .query(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), \
               CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END \
             FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'users'::regclass AND a.attnum > 0 \
             ORDER BY a.attnum",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        strings(attributes),
        [
            "id integer not null",
            "email text not null",
            "name character varying(50) null",
            "score double precision null"
        ]
    );
    // What the catalog can't run answers no rows rather than failing a tool's probe.
    let unknown = client
        .query("SELECT x FROM pg_catalog.pg_no_such_relation", &[])
        .await
        .unwrap();
    assert!(unknown.is_empty());
}
