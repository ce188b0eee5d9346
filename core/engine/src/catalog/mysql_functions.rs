//! The functions MySQL's own catalog queries call that SQLite lacks (`DATABASE()`, `LOCATE`,
//! `LCASE`...: Connector/J's and Django's `information_schema` queries use them), and the
//! `ha_mysql_*` helpers the MySQL views are written with.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;

use super::functions::text;

pub(super) fn register(conn: &Connection, database: &str) -> rusqlite::Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for name in ["database", "schema"] {
        let database = database.to_string();
        conn.create_scalar_function(name, 0, pure, move |_| Ok(database.clone()))?;
    }
    conn.create_scalar_function("ha_mysql_type", 2, pure, |ctx| {
        let described = ha_types::MysqlType::of(&text(ctx, 0).unwrap_or_default());
        Ok(match described.field(&text(ctx, 1).unwrap_or_default()) {
            ha_types::Value::Integer(n) => Value::Integer(n),
            ha_types::Value::Text(t) => Value::Text(t),
            _ => Value::Null,
        })
    })?;
    // `ha_rowid_alias(declared_type, primary_key_position, primary_key_columns)`.
    conn.create_scalar_function("ha_rowid_alias", 3, pure, |ctx| {
        let declared = text(ctx, 0).unwrap_or_default();
        let position: i64 = ctx.get::<Option<i64>>(1)?.unwrap_or(0);
        let key_columns: i64 = ctx.get::<Option<i64>>(2)?.unwrap_or(0);
        Ok(ha_types::is_rowid_alias(
            &declared,
            position > 0,
            key_columns.max(0) as usize,
        ))
    })?;
    // A generated column's expression, read from its table's CREATE TABLE text.
    conn.create_scalar_function("ha_generated_expression", 2, pure, |ctx| {
        let (Some(sql), Some(column)) = (text(ctx, 0), text(ctx, 1)) else {
            return Ok(None);
        };
        Ok(ha_types::generated_columns(&sql)
            .into_iter()
            .find(|g| g.name.eq_ignore_ascii_case(&column))
            .map(|g| g.expression))
    })?;
    for (name, upper) in [("lcase", false), ("ucase", true)] {
        conn.create_scalar_function(name, 1, pure, move |ctx| {
            Ok(text(ctx, 0).map(|t| {
                if upper {
                    t.to_uppercase()
                } else {
                    t.to_lowercase()
                }
            }))
        })?;
    }
    // LOCATE(needle, haystack[, from]): the 1-based character position, 0 when absent.
    for arguments in [2, 3] {
        conn.create_scalar_function("locate", arguments, pure, |ctx| {
            let (Some(needle), Some(haystack)) = (text(ctx, 0), text(ctx, 1)) else {
                return Ok(None);
            };
            let from = if ctx.len() > 2 {
                ctx.get::<i64>(2).unwrap_or(1)
            } else {
                1
            };
            Ok(Some(locate(&needle, &haystack, from)))
        })?;
    }
    // CONVERT_TZ(dt, from, to): the server has no time zone tables, so only what needs none —
    // the same zone, or two `+hh:mm` offsets — converts; other zones are NULL, as MySQL
    // answers for a zone it does not know.
    conn.create_scalar_function("convert_tz", 3, pure, |ctx| {
        let (Some(time), Some(from), Some(to)) = (text(ctx, 0), text(ctx, 1), text(ctx, 2)) else {
            return Ok(None);
        };
        Ok(convert_tz(&time, &from, &to))
    })?;
    // MySQL's collations by the names clients write in queries (`x COLLATE utf8mb3_general_ci`,
    // Connector/J's catalog queries): case-insensitive ones compare lower-cased text.
    for name in CASE_INSENSITIVE {
        conn.create_collation(name, |a, b| a.to_lowercase().cmp(&b.to_lowercase()))?;
    }
    for name in ["utf8mb4_bin", "utf8mb3_bin", "utf8_bin"] {
        conn.create_collation(name, |a, b| a.cmp(b))?;
    }
    Ok(())
}

const CASE_INSENSITIVE: [&str; 7] = [
    "utf8mb4_0900_ai_ci",
    "utf8mb4_general_ci",
    "utf8mb4_unicode_ci",
    "utf8mb3_general_ci",
    "utf8mb3_unicode_ci",
    "utf8_general_ci",
    "utf8_unicode_ci",
];

fn convert_tz(time: &str, from: &str, to: &str) -> Option<String> {
    if from.eq_ignore_ascii_case(to) {
        return Some(time.to_string());
    }
    let minutes = |zone: &str| -> Option<i64> {
        if zone.eq_ignore_ascii_case("UTC") {
            return Some(0);
        }
        let sign = match zone.chars().next()? {
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        let (hours, minutes) = zone[1..].split_once(':')?;
        Some(sign * (hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?))
    };
    let shift = minutes(to)? - minutes(from)?;
    // Whole seconds are converted; a fraction is carried over as written.
    let (whole, fraction) = time
        .split_once('.')
        .map_or((time, None), |(w, f)| (w, Some(f)));
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let parsed = time::PrimitiveDateTime::parse(whole, &format).ok()?;
    let shifted = (parsed + time::Duration::minutes(shift))
        .format(&format)
        .ok()?;
    Some(match fraction {
        Some(fraction) => format!("{shifted}.{fraction}"),
        None => shifted,
    })
}

fn locate(needle: &str, haystack: &str, from: i64) -> i64 {
    let Ok(skip) = usize::try_from(from - 1) else {
        return 0;
    };
    let lower = |s: &str| s.to_lowercase();
    let haystack: Vec<char> = lower(haystack).chars().collect();
    let needle: Vec<char> = lower(needle).chars().collect();
    if needle.is_empty() {
        return if skip <= haystack.len() { from } else { 0 };
    }
    (skip..haystack.len())
        .find(|&i| haystack[i..].starts_with(&needle))
        .map_or(0, |i| i64::try_from(i + 1).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_tz_without_zone_tables() {
        let at = "2001-01-01 01:00:00";
        assert_eq!(convert_tz(at, "UTC", "UTC").as_deref(), Some(at));
        assert_eq!(
            convert_tz(at, "+00:00", "+02:30").as_deref(),
            Some("2001-01-01 03:30:00")
        );
        assert_eq!(
            convert_tz("2001-01-01 01:00:00.5", "+01:00", "UTC").as_deref(),
            Some("2001-01-01 00:00:00.5")
        );
        assert_eq!(convert_tz(at, "UTC", "Europe/Paris"), None);
    }

    #[test]
    fn locate_counts_characters_from_one() {
        assert_eq!(locate("(1)", "tinyint(1)", 1), 8);
        assert_eq!(locate("UNSIGNED", "int unsigned", 1), 5);
        assert_eq!(locate("x", "abc", 1), 0);
        assert_eq!(locate("a", "aXa", 2), 3);
        assert_eq!(locate("é", "café", 1), 4);
        assert_eq!(locate("a", "a", 0), 0);
    }
}
