//! The catalog's functions: PostgreSQL's that tools call (`format_type`, `pg_get_indexdef`,
//! `pg_table_is_visible`, ...) and the `ha_*` helpers the views are written with.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension};

/// The owner of every object: the catalog has one role.
const OWNER: &str = "ha";

pub(super) fn register(conn: &Connection, database: &str) -> rusqlite::Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    // Functions that read the schema: not deterministic (the schema changes).
    let reads = FunctionFlags::SQLITE_UTF8;

    conn.create_scalar_function("ha_pg_type", 1, pure, |ctx| {
        Ok(ha_types::postgres_type(&text(ctx, 0).unwrap_or_default()).0)
    })?;
    conn.create_scalar_function("ha_pg_typmod", 1, pure, |ctx| {
        Ok(ha_types::postgres_type(&text(ctx, 0).unwrap_or_default()).1)
    })?;
    conn.create_scalar_function("ha_pg_typlen", 1, pure, |ctx| {
        Ok(type_length(ctx.get::<i64>(0).unwrap_or(0)))
    })?;
    conn.create_scalar_function("ha_information_schema_type", 1, pure, |ctx| {
        Ok(type_name(ctx.get::<i64>(0).unwrap_or(0), -1).0)
    })?;
    conn.create_scalar_function("format_type", 2, pure, |ctx| {
        let Ok(oid) = ctx.get::<i64>(0) else {
            return Ok(None);
        };
        let typmod = ctx.get::<i64>(1).unwrap_or(-1);
        let (name, modifier) = type_name(oid, typmod);
        Ok(Some(match modifier {
            Some(modifier) if name.contains(" with") => {
                // `timestamp(3) without time zone`
                let (head, tail) = name.split_once(' ').unwrap_or((&name, ""));
                format!("{head}{modifier} {tail}")
            }
            Some(modifier) => format!("{name}{modifier}"),
            None => name,
        }))
    })?;
    conn.create_scalar_function("ha_pg_user", 0, pure, |_| Ok(OWNER))?;
    conn.create_scalar_function("pg_get_userbyid", 1, pure, |_| Ok(OWNER))?;
    let name = database.to_string();
    conn.create_scalar_function("ha_pg_database", 0, pure, move |_| Ok(name.clone()))?;
    let name = database.to_string();
    conn.create_scalar_function("current_database", 0, pure, move |_| Ok(name.clone()))?;
    conn.create_scalar_function("ha_pg_version", 0, pure, |_| {
        Ok(ha_types::POSTGRESQL_VERSION)
    })?;
    conn.create_scalar_function("version", 0, pure, |_| {
        Ok(format!(
            "PostgreSQL {} (ha {} on SQLite)",
            ha_types::POSTGRESQL_VERSION,
            env!("CARGO_PKG_VERSION")
        ))
    })?;
    conn.create_scalar_function("current_schema", 0, pure, |_| Ok("public"))?;
    conn.create_scalar_function("current_schemas", 1, pure, |ctx| {
        let implicit = ctx.get::<bool>(0).unwrap_or(false);
        Ok(if implicit {
            "{pg_catalog,public}"
        } else {
            "{public}"
        })
    })?;
    conn.create_scalar_function("pg_encoding_to_char", 1, pure, |_| Ok("UTF8"))?;
    // `SELECT set_config('TimeZone', 'UTC', false)` (Django at connect): the value, unstored.
    conn.create_scalar_function("set_config", 3, reads, |ctx| Ok(text(ctx, 1)))?;
    for visible in [
        "pg_table_is_visible",
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_collation_is_visible",
    ] {
        conn.create_scalar_function(visible, 1, pure, |_| Ok(true))?;
    }
    for (privilege, arguments) in [
        ("has_table_privilege", 2),
        ("has_table_privilege", 3),
        ("has_schema_privilege", 2),
        ("has_schema_privilege", 3),
        ("has_database_privilege", 2),
        ("has_database_privilege", 3),
        ("has_column_privilege", 3),
        ("has_column_privilege", 4),
    ] {
        conn.create_scalar_function(privilege, arguments, pure, |_| Ok(true))?;
    }
    conn.create_scalar_function("pg_relation_is_publishable", 1, pure, |_| Ok(false))?;
    // No table is a partition: a relation's only ancestor is itself (one row, as the set
    // PostgreSQL returns has).
    conn.create_scalar_function("pg_partition_ancestors", 1, pure, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Text(t) => String::from_utf8_lossy(t)
                .trim()
                .parse::<i64>()
                .map_or(Value::Null, Value::Integer),
            _ => Value::Null,
        })
    })?;
    // There are no comments on objects.
    for (nothing, arguments) in [
        ("obj_description", 1),
        ("obj_description", 2),
        ("col_description", 2),
        ("shobj_description", 2),
    ] {
        conn.create_scalar_function(nothing, arguments, pure, |_| Ok(None::<String>))?;
    }
    // A default is kept as its SQL text, which is what pg_get_expr prints.
    for arguments in [2, 3] {
        conn.create_scalar_function("pg_get_expr", arguments, pure, |ctx| Ok(text(ctx, 0)))?;
    }
    conn.create_scalar_function("array_to_string", 2, pure, |ctx| {
        let separator = text(ctx, 1).unwrap_or_default();
        Ok(text(ctx, 0).map(|array| array_items(&array).join(&separator)))
    })?;
    conn.create_scalar_function("array_upper", 2, pure, |ctx| {
        Ok(text(ctx, 0)
            .map(|array| array_items(&array).len() as i64)
            .filter(|n| *n > 0))
    })?;
    // `array[n]`: an array's text (`{a,b}`) counts from 1, a vector's (`1 2`: `indkey`) from 0.
    conn.create_scalar_function("ha_subscript", 2, pure, |ctx| {
        let (Some(array), Ok(index)) = (text(ctx, 0), ctx.get::<i64>(1)) else {
            return Ok(None);
        };
        let first = i64::from(array.starts_with('{'));
        let items = elements(&array);
        // An item that is a number is one (`conkey[1] = attnum` compares numbers).
        Ok(usize::try_from(index - first)
            .ok()
            .and_then(|at| items.get(at))
            .map(|item| {
                item.parse::<i64>()
                    .map_or_else(|_| Value::Text(item.clone()), Value::Integer)
            }))
    })?;
    // An array's text (`{a,b}`) as a JSON array, for `json_each` (`unnest`).
    conn.create_scalar_function("ha_array_json", 1, pure, |ctx| {
        Ok(text(ctx, 0).map(|array| {
            let items: Vec<serde_json::Value> = elements(&array)
                .into_iter()
                .map(|item| match item.parse::<i64>() {
                    Ok(number) => number.into(),
                    Err(_) => item.into(),
                })
                .collect();
            serde_json::Value::from(items).to_string()
        }))
    })?;
    // A JSON array (`json_group_array`) as a PostgreSQL array's text: `{a,"b c",NULL}`.
    conn.create_scalar_function("ha_pg_array", 1, pure, |ctx| {
        let Some(json) = text(ctx, 0) else {
            return Ok(None);
        };
        let Ok(serde_json::Value::Array(items)) = serde_json::from_str(&json) else {
            return Ok(Some(json));
        };
        let items: Vec<String> = items
            .iter()
            .map(|item| match item {
                serde_json::Value::Null => "NULL".to_string(),
                serde_json::Value::String(s) => array_item(s),
                serde_json::Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
                other => other.to_string(),
            })
            .collect();
        Ok(Some(format!("{{{}}}", items.join(","))))
    })?;
    // Where an array's subscripts start: 1 for an array (`{a,b}`), 0 for a vector (`1 2`).
    conn.create_scalar_function("ha_array_base", 1, pure, |ctx| {
        Ok(i64::from(text(ctx, 0).is_some_and(|a| a.starts_with('{'))))
    })?;
    conn.create_scalar_function("quote_ident", 1, pure, |ctx| {
        Ok(text(ctx, 0).map(|name| ident(&name)))
    })?;
    conn.create_scalar_function("json_build_object", -1, pure, |ctx| {
        let mut object = serde_json::Map::new();
        for pair in 0..ctx.len() / 2 {
            let key = text(ctx, 2 * pair).unwrap_or_default();
            let value = match ctx.get_raw(2 * pair + 1) {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(i) => i.into(),
                ValueRef::Real(r) => {
                    serde_json::Number::from_f64(r).map_or(serde_json::Value::Null, Into::into)
                }
                _ => text(ctx, 2 * pair + 1).unwrap_or_default().into(),
            };
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object).to_string())
    })?;
    // What SQLite has no counterpart of.
    for (nothing, arguments) in [
        ("pg_get_serial_sequence", 2),
        ("pg_get_statisticsobjdef_columns", 1),
        ("pg_get_triggerdef", 1),
        ("pg_get_triggerdef", 2),
        ("pg_get_function_result", 1),
        ("pg_get_function_arguments", 1),
        ("pg_get_partkeydef", 1),
    ] {
        conn.create_scalar_function(nothing, arguments, pure, |_| Ok(None::<String>))?;
    }
    conn.create_scalar_function("to_regtype", 1, reads, |ctx| {
        let name = text(ctx, 0).unwrap_or_default();
        with_connection(ctx, |conn| {
            conn.query_row(
                "SELECT oid FROM pg_type WHERE typname = ?1 OR format_type(oid, NULL) = ?1",
                [relation_name(&name)],
                |r| r.get::<_, i64>(0),
            )
            .optional()
        })
    })?;
    conn.create_scalar_function("current_setting", 1, reads, |ctx| {
        let name = text(ctx, 0).unwrap_or_default();
        with_connection(ctx, |conn| {
            conn.query_row(
                "SELECT setting FROM pg_settings WHERE name = ?1",
                [name],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
        })
    })?;
    conn.create_scalar_function("ha_fk_action", 1, pure, |ctx| {
        Ok(
            match text(ctx, 0)
                .unwrap_or_default()
                .to_ascii_uppercase()
                .as_str()
            {
                "CASCADE" => "c",
                "SET NULL" => "n",
                "SET DEFAULT" => "d",
                "RESTRICT" => "r",
                _ => "a",
            },
        )
    })?;
    conn.create_scalar_function("ha_fk_rule", 1, pure, |ctx| {
        Ok(action_words(&text(ctx, 0).unwrap_or_default()))
    })?;
    conn.create_scalar_function("ha_view_definition", 1, pure, |ctx| {
        Ok(text(ctx, 0).map(|sql| view_definition(&sql)))
    })?;
    conn.create_scalar_function("regexp", 2, pure, |ctx| {
        let (Some(pattern), Some(value)) = (text(ctx, 0), text(ctx, 1)) else {
            return Ok(None);
        };
        let regex = regex::Regex::new(&pattern)
            .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))?;
        Ok(Some(regex.is_match(&value)))
    })?;
    conn.create_scalar_function("ha_regclass", 1, reads, |ctx| {
        with_connection(ctx, |conn| match ctx.get_raw(0) {
            ValueRef::Integer(oid) => conn
                .query_row("SELECT relname FROM pg_class WHERE oid = ?1", [oid], |r| {
                    r.get::<_, Value>(0)
                })
                .optional()
                .map(|name| name.unwrap_or(Value::Integer(oid))),
            // `'16385'::regclass`: an OID written as text.
            ValueRef::Text(name)
                if let Ok(oid) = String::from_utf8_lossy(name).trim().parse::<i64>() =>
            {
                Ok(Value::Integer(oid))
            }
            ValueRef::Text(name) => {
                let name = relation_name(&String::from_utf8_lossy(name));
                conn.query_row(
                    "SELECT oid FROM pg_class WHERE relname = ?1 COLLATE NOCASE",
                    [name],
                    |r| r.get::<_, Value>(0),
                )
                .optional()
                .map(|oid| oid.unwrap_or(Value::Null))
            }
            _ => Ok(Value::Null),
        })
    })?;
    for arguments in [1, 3] {
        conn.create_scalar_function("pg_get_indexdef", arguments, reads, |ctx| {
            let Some(oid) = ctx.get::<Option<i64>>(0)? else {
                return Ok(None);
            };
            let column = if ctx.len() > 1 {
                ctx.get::<Option<i64>>(1)?.unwrap_or(0)
            } else {
                0
            };
            with_connection(ctx, |conn| index_definition(conn, oid, column))
        })?;
    }
    for arguments in [1, 2] {
        conn.create_scalar_function("pg_get_constraintdef", arguments, reads, |ctx| {
            let Some(oid) = ctx.get::<Option<i64>>(0)? else {
                return Ok(None);
            };
            with_connection(ctx, |conn| constraint_definition(conn, oid))
        })?;
        conn.create_scalar_function("pg_get_viewdef", arguments, reads, |ctx| {
            let Some(oid) = ctx.get::<Option<i64>>(0)? else {
                return Ok(None);
            };
            with_connection(ctx, |conn| {
                conn.query_row(
                    "SELECT ha_view_definition(sql) FROM ha_tables WHERE oid = ?1",
                    [oid],
                    |r| r.get::<_, Option<String>>(0),
                )
                .optional()
                .map(Option::flatten)
            })
        })?;
    }
    Ok(())
}

/// Runs `f` on the connection whose statement called the function.
fn with_connection<T>(
    ctx: &Context<'_>,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    // SAFETY: the handle is that of the connection running the calling statement, which
    // outlives this call; SQLite lets a function run further statements on it, and the
    // reference is not kept past the call.
    let conn = unsafe { ctx.get_connection()? };
    f(&conn)
}

pub(super) fn text(ctx: &Context<'_>, index: usize) -> Option<String> {
    match ctx.get_raw(index) {
        ValueRef::Null => None,
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
    }
}

/// A type's storage length (`pg_type.typlen`): -1 for the variable-length ones.
fn type_length(oid: i64) -> i64 {
    match oid {
        16 | 18 => 1,
        21 => 2,
        23 | 26 | 700 | 1082 => 4,
        20 | 701 | 1083 | 1114 | 1184 => 8,
        19 => 64,
        2950 => 16,
        _ => -1,
    }
}

/// PostgreSQL's name of a type, and the modifier `format_type` prints after it.
fn type_name(oid: i64, typmod: i64) -> (String, Option<String>) {
    let name = match oid {
        16 => "boolean",
        17 => "bytea",
        18 => "\"char\"",
        19 => "name",
        20 => "bigint",
        21 => "smallint",
        23 => "integer",
        25 => "text",
        26 => "oid",
        114 => "json",
        700 => "real",
        701 => "double precision",
        1042 => "character",
        1043 => "character varying",
        1082 => "date",
        1083 => "time without time zone",
        1114 => "timestamp without time zone",
        1184 => "timestamp with time zone",
        1700 => "numeric",
        2950 => "uuid",
        3802 => "jsonb",
        _ => "text",
    };
    let modifier = match oid {
        1042 | 1043 if typmod > 4 => Some(format!("({})", typmod - 4)),
        1700 if typmod > 4 => {
            let packed = typmod - 4;
            Some(format!("({},{})", packed >> 16, packed & 0xffff))
        }
        _ => None,
    };
    (name.to_string(), modifier)
}

/// The items of a PostgreSQL array's text form (`{a,b}`).
fn array_items(array: &str) -> Vec<String> {
    array
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter(|item| !item.is_empty())
        .map(|item| item.trim_matches('"').to_string())
        .collect()
}

/// An array item as PostgreSQL writes it: quoted when it has to be.
fn array_item(item: &str) -> String {
    let plain = !item.is_empty()
        && !item.eq_ignore_ascii_case("NULL")
        && !item
            .chars()
            .any(|c| matches!(c, ',' | '{' | '}' | '"' | '\\') || c.is_whitespace());
    if plain {
        item.to_string()
    } else {
        format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The items of an array (`{a,b}`) or of a vector (`1 2`: `int2vector`, `oidvector`).
fn elements(array: &str) -> Vec<String> {
    if array.starts_with('{') {
        array_items(array)
    } else {
        array.split_whitespace().map(str::to_string).collect()
    }
}

/// `pg_constraint`'s one-letter referential action in words.
fn action_words(action: &str) -> &'static str {
    match action {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        "r" => "RESTRICT",
        _ => "NO ACTION",
    }
}

/// A view's query: its `CREATE VIEW` text after the `AS` that starts it.
fn view_definition(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    let start = [" AS\n", " AS ", " AS\t", ")AS "]
        .iter()
        .filter_map(|marker| upper.find(marker).map(|at| at + marker.len()))
        .min()
        .unwrap_or(0);
    sql[start..].trim().to_string()
}

/// A relation name as `regclass` reads it: without `public.` / `pg_catalog.` and quotes
/// (matched without regard to case: SQLite keeps names as written, PostgreSQL folds them).
fn relation_name(name: &str) -> String {
    let name = name.trim();
    let name = name
        .strip_prefix("public.")
        .or_else(|| name.strip_prefix("pg_catalog."))
        .unwrap_or(name);
    if name.len() >= 2 && name.starts_with('"') && name.ends_with('"') {
        name[1..name.len() - 1].replace("\"\"", "\"")
    } else {
        name.to_string()
    }
}

/// An identifier as PostgreSQL prints it: quoted unless plain lower-case.
fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Key column names of an index, in order, with `DESC` where they descend.
fn index_columns(conn: &Connection, oid: i64, with_order: bool) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, descending FROM ha_index_columns WHERE index_oid = ?1 ORDER BY ord",
    )?;
    let columns = stmt
        .query_map([oid], |r| {
            let name: Option<String> = r.get(0)?;
            let descending: bool = r.get(1)?;
            let name = name.map_or_else(|| "(expression)".to_string(), |n| ident(&n));
            Ok(if descending && with_order {
                format!("{name} DESC")
            } else {
                name
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(columns)
}

/// `pg_get_indexdef(oid)`, or of its `column`th key column when `column` > 0.
fn index_definition(conn: &Connection, oid: i64, column: i64) -> rusqlite::Result<Option<String>> {
    let Some((name, table, unique, partial, sql)) = conn
        .query_row(
            "SELECT name, tbl, is_unique, partial, sql FROM ha_indexes WHERE oid = ?1",
            [oid],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?
    else {
        return Ok(None);
    };
    let columns = index_columns(conn, oid, column == 0)?;
    if column > 0 {
        return Ok(usize::try_from(column - 1)
            .ok()
            .and_then(|at| columns.get(at).cloned()));
    }
    let predicate = match (partial, sql) {
        (true, Some(sql)) => sql
            .to_ascii_uppercase()
            .rfind(" WHERE ")
            .map(|at| format!(" WHERE {}", sql[at + 7..].trim()))
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(Some(format!(
        "CREATE {}INDEX {} ON public.{} USING btree ({}){predicate}",
        if unique { "UNIQUE " } else { "" },
        ident(&name),
        ident(&table),
        columns.join(", ")
    )))
}

/// `pg_get_constraintdef(oid)`: `PRIMARY KEY (id)`, `UNIQUE (email)`,
/// `FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE`.
fn constraint_definition(conn: &Connection, oid: i64) -> rusqlite::Result<Option<String>> {
    let Some((kind, index, referenced, on_update, on_delete)) = conn
        .query_row(
            "SELECT contype, conindid, (SELECT relname FROM pg_class WHERE oid = confrelid),
               confupdtype, confdeltype FROM pg_constraint WHERE oid = ?1",
            [oid],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?
    else {
        return Ok(None);
    };
    let key = |columns: Vec<String>| columns.join(", ");
    Ok(Some(match kind.as_str() {
        "p" => format!("PRIMARY KEY ({})", key(index_columns(conn, index, false)?)),
        "u" => format!("UNIQUE ({})", key(index_columns(conn, index, false)?)),
        _ => {
            let mut stmt = conn.prepare_cached(
                "SELECT from_col, to_col FROM ha_foreign_keys WHERE oid = ?1 ORDER BY seq",
            )?;
            let pairs = stmt
                .query_map([oid], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let from: Vec<String> = pairs.iter().map(|(f, _)| ident(f)).collect();
            let to: Vec<String> = pairs
                .iter()
                .map(|(_, t)| ident(t.as_deref().unwrap_or_default()))
                .collect();
            let mut definition = format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                from.join(", "),
                ident(referenced.as_deref().unwrap_or_default()),
                to.join(", ")
            );
            for (event, action) in [("UPDATE", on_update), ("DELETE", on_delete)] {
                if action != "a" {
                    definition.push_str(&format!(" ON {event} {}", action_words(&action)));
                }
            }
            definition
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_as_postgresql_names_them() {
        for (declared, want) in [
            ("INTEGER", "integer"),
            ("bigint", "bigint"),
            ("VARCHAR(50)", "character varying(50)"),
            ("NUMERIC(10, 2)", "numeric(10,2)"),
            ("DOUBLE PRECISION", "double precision"),
            ("", "text"),
            ("whatever", "text"),
            ("UNSIGNED INTEGER", "bigint"),
        ] {
            let (oid, typmod) = ha_types::postgres_type(declared);
            let (name, modifier) = type_name(oid, typmod);
            assert_eq!(format!("{name}{}", modifier.unwrap_or_default()), want);
        }
    }

    #[test]
    fn names_and_definitions() {
        assert_eq!(relation_name("public.\"Users\""), "Users");
        assert_eq!(relation_name("pg_catalog.pg_class"), "pg_class");
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(
            view_definition("CREATE VIEW recent AS SELECT id FROM posts"),
            "SELECT id FROM posts"
        );
        assert_eq!(array_items("{pg_catalog,public}"), ["pg_catalog", "public"]);
    }
}
