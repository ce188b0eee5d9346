//! `SHOW CREATE TABLE` in MySQL's own layout, built from the core's catalog: tools read it back
//! (SQLAlchemy's MySQL reflection parses it line by line, `` `name` type ... ``), and SQLite's
//! `CREATE TABLE` text is not what they expect. A view keeps SQLite's text.

use ha_types::{GeneratedColumn, Value};

use crate::results::text;

/// The statement for `table`, from the catalog's rows (see `ha_types::CatalogQuery`): its
/// columns, its indexes and its foreign keys, each in the catalog's column order, and the
/// expressions of its generated columns.
pub(crate) fn mysql_create_table(
    table: &str,
    columns: &[Vec<Value>],
    indexes: &[Vec<Value>],
    foreign_keys: &[Vec<Value>],
    generated: &[GeneratedColumn],
) -> String {
    let mut lines = Vec::new();
    let key: Vec<(i64, String)> = {
        let mut key: Vec<(i64, String)> = columns
            .iter()
            .filter_map(|c| match c.get(6) {
                Some(Value::Integer(p)) if *p > 0 => Some((*p, text(c.get(2)))),
                _ => None,
            })
            .collect();
        key.sort();
        key
    };
    for column in columns {
        if matches!(column.get(7), Some(Value::Integer(h)) if *h != 0 && *h != 2 && *h != 3) {
            continue;
        }
        let name = text(column.get(2));
        let declared = text(column.get(3));
        let mut line = format!(
            "  {} {}",
            quote(&name),
            ha_types::MysqlType::of(&declared).column_type
        );
        let in_key = key.iter().any(|(_, k)| *k == name);
        let not_null = in_key || matches!(column.get(4), Some(Value::Integer(1)));
        if let Some(g) = generated.iter().find(|g| g.name == name) {
            let kind = if g.stored { "STORED" } else { "VIRTUAL" };
            line.push_str(&format!(" GENERATED ALWAYS AS ({}) {kind}", g.expression));
            if not_null {
                line.push_str(" NOT NULL");
            }
            lines.push(line);
            continue;
        }
        if not_null {
            line.push_str(" NOT NULL");
        }
        match column.get(5) {
            Some(Value::Null) | None => {
                if !not_null {
                    line.push_str(" DEFAULT NULL");
                }
            }
            Some(default) => line.push_str(&format!(" DEFAULT {}", text(Some(default)))),
        }
        if is_auto_increment(columns, column) {
            line.push_str(" AUTO_INCREMENT");
        }
        lines.push(line);
    }
    if !key.is_empty() {
        let names: Vec<String> = key.iter().map(|(_, k)| quote(k)).collect();
        lines.push(format!("  PRIMARY KEY ({})", names.join(",")));
    }
    // Indexes: (name, unique, origin) with their columns in order; the primary key's skipped.
    let mut grouped: Vec<(String, bool, Vec<String>)> = Vec::new();
    for index in indexes {
        if text(index.get(3)) == "pk" {
            continue;
        }
        let name = text(index.get(1));
        let Some(Value::Text(column)) = index.get(5) else {
            // An index on an expression: MySQL's layout has no place for it.
            grouped.retain(|(n, _, _)| *n != name);
            continue;
        };
        match grouped.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, _, columns)) => columns.push(quote(column)),
            None => grouped.push((
                name,
                matches!(index.get(2), Some(Value::Integer(1))),
                vec![quote(column)],
            )),
        }
    }
    for (name, unique, columns) in grouped {
        lines.push(format!(
            "  {}KEY {} ({})",
            if unique { "UNIQUE " } else { "" },
            quote(&name),
            columns.join(",")
        ));
    }
    // Foreign keys: grouped by id.
    let mut keys: Vec<ForeignKey> = Vec::new();
    for fk in foreign_keys {
        let id = match fk.get(1) {
            Some(Value::Integer(id)) => *id,
            _ => 0,
        };
        let (from, to) = (quote(&text(fk.get(3))), quote(&text(fk.get(5))));
        match keys.iter_mut().find(|k| k.id == id) {
            Some(key) => {
                key.from.push(from);
                key.to.push(to);
            }
            None => keys.push(ForeignKey {
                id,
                from: vec![from],
                parent: text(fk.get(4)),
                to: vec![to],
                on_update: text(fk.get(6)),
                on_delete: text(fk.get(7)),
            }),
        }
    }
    for (at, key) in keys.into_iter().enumerate() {
        let mut line = format!(
            "  CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            quote(&format!("{table}_ibfk_{}", at + 1)),
            key.from.join(","),
            quote(&key.parent),
            key.to.join(",")
        );
        for (action, rule) in [("DELETE", key.on_delete), ("UPDATE", key.on_update)] {
            if !rule.is_empty() && rule != "NO ACTION" {
                line.push_str(&format!(" ON {action} {rule}"));
            }
        }
        lines.push(line);
    }
    format!("CREATE TABLE {} (\n{}\n)", quote(table), lines.join(",\n"))
}

/// Whether `column` (a row of `columns`, the table's catalog rows) numbers itself: SQLite's
/// rowid alias is its auto-increment.
fn is_auto_increment(columns: &[Vec<Value>], column: &[Value]) -> bool {
    let in_key = |c: &[Value]| matches!(c.get(6), Some(Value::Integer(p)) if *p > 0);
    ha_types::is_rowid_alias(
        &text(column.get(3)),
        in_key(column),
        columns.iter().filter(|c| in_key(c)).count(),
    )
}

/// One foreign key's columns, gathered from the catalog's rows (one per column).
struct ForeignKey {
    id: i64,
    from: Vec<String>,
    parent: String,
    to: Vec<String>,
    on_update: String,
    on_delete: String,
}

fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn i(n: i64) -> Value {
        Value::Integer(n)
    }

    #[test]
    fn a_table_reads_as_mysql_writes_it() {
        // table, position, name, declared_type, not_null, default_value, primary_key, hidden
        let columns = vec![
            vec![
                t("c"),
                i(1),
                t("id"),
                t("INTEGER"),
                i(0),
                Value::Null,
                i(1),
                i(0),
            ],
            vec![
                t("c"),
                i(2),
                t("name"),
                t("VARCHAR(50)"),
                i(1),
                t("'x'"),
                i(0),
                i(0),
            ],
            vec![
                t("c"),
                i(3),
                t("pa"),
                t("INTEGER"),
                i(0),
                Value::Null,
                i(0),
                i(0),
            ],
        ];
        // table, index_name, unique, origin, position, column_name, partial
        let indexes = vec![vec![
            t("c"),
            t("c_name"),
            i(1),
            t("c"),
            i(1),
            t("name"),
            i(0),
        ]];
        // table, id, position, column_name, parent_table, parent_column, on_update, on_delete
        let keys = vec![vec![
            t("c"),
            i(0),
            i(1),
            t("pa"),
            t("p"),
            t("a"),
            t("NO ACTION"),
            t("CASCADE"),
        ]];
        assert_eq!(
            mysql_create_table("c", &columns, &indexes, &keys, &[]),
            "CREATE TABLE `c` (\n  `id` integer NOT NULL AUTO_INCREMENT,\n  \
             `name` varchar(50) NOT NULL DEFAULT 'x',\n  `pa` integer DEFAULT NULL,\n  \
             PRIMARY KEY (`id`),\n  UNIQUE KEY `c_name` (`name`),\n  \
             CONSTRAINT `c_ibfk_1` FOREIGN KEY (`pa`) REFERENCES `p` (`a`) ON DELETE CASCADE\n)"
        );
    }

    #[test]
    fn generated_columns_show_their_expressions() {
        let column = |position, name: &str, declared: &str, hidden| {
            vec![
                t("g"),
                i(position),
                t(name),
                t(declared),
                i(0),
                Value::Null,
                i(0),
                i(hidden),
            ]
        };
        let columns = vec![
            column(1, "a", "INT", 0),
            column(2, "v", "INT", 2),
            column(3, "s", "TEXT", 3),
        ];
        let generated = ha_types::generated_columns(
            "CREATE TABLE g(a INT, v INT AS (a * 2), s TEXT GENERATED ALWAYS AS (upper(a)) STORED)",
        );
        assert_eq!(
            mysql_create_table("g", &columns, &[], &[], &generated),
            "CREATE TABLE `g` (\n  `a` int DEFAULT NULL,\n  \
             `v` int GENERATED ALWAYS AS (a * 2) VIRTUAL,\n  \
             `s` text GENERATED ALWAYS AS (upper(a)) STORED\n)"
        );
    }
}
