//! When a host's API opens a transaction on its own: PEP 249 drivers (Python's `sqlite3` in its
//! default mode) and JDBC with auto-commit off begin one before the first statement that
//! changes data, and keep it open until `commit()`. Decided here once for every binding.

/// Whether `sql` is a data-changing statement (`INSERT`, `UPDATE`, `DELETE`, `REPLACE`, after
/// any leading comments or a `WITH` clause), before which such a host opens a transaction.
/// Schema statements and reads run outside it, as in Python's `sqlite3`.
pub fn opens_implicit_transaction(sql: &str) -> bool {
    let mut rest = skip_comments(sql);
    let mut keyword = first_word(rest);
    if keyword.eq_ignore_ascii_case("WITH") {
        // `WITH ... INSERT/UPDATE/DELETE`: the statement's verb follows the CTEs.
        rest = &rest[keyword.len()..];
        return ["INSERT", "UPDATE", "DELETE", "REPLACE"]
            .iter()
            .any(|verb| contains_word(rest, verb));
    }
    keyword = keyword.trim();
    ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|verb| keyword.eq_ignore_ascii_case(verb))
}

/// The statement's first keyword, upper-cased, after any leading comments ("" when none): what
/// a host checks for `sqlite3`-like niceties (`lastrowid` after `INSERT` or `REPLACE`).
pub fn leading_keyword(sql: &str) -> String {
    first_word(skip_comments(sql)).to_ascii_uppercase()
}

fn skip_comments(mut sql: &str) -> &str {
    loop {
        sql = sql.trim_start();
        if let Some(rest) = sql.strip_prefix("--") {
            sql = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = sql.strip_prefix("/*") {
            sql = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return sql;
        }
    }
}

fn first_word(sql: &str) -> &str {
    let end = sql
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(sql.len());
    &sql[..end]
}

/// Whether `word` appears in `sql` as a whole word, outside quotes (a CTE's body may name it in
/// a string or an identifier).
fn contains_word(sql: &str, word: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => {
                quote = Some(c);
                current.clear();
            }
            None if c == '[' => quote = Some(']'),
            None if c.is_ascii_alphanumeric() || c == '_' => current.push(c),
            None => {
                if current.eq_ignore_ascii_case(word) {
                    return true;
                }
                current.clear();
            }
        }
    }
    current.eq_ignore_ascii_case(word)
}

#[cfg(test)]
mod tests {
    use super::opens_implicit_transaction as opens;

    #[test]
    fn data_changes_open_a_transaction() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "  insert into t values (1)",
            "-- note\nUPDATE t SET x = 1",
            "/* a */ /* b */ DELETE FROM t",
            "REPLACE INTO t VALUES (1)",
            "WITH c(x) AS (SELECT 1) INSERT INTO t SELECT x FROM c",
        ] {
            assert!(opens(sql), "{sql}");
        }
    }

    #[test]
    fn reads_and_schema_do_not() {
        for sql in [
            "SELECT 1",
            "CREATE TABLE t(x)",
            "PRAGMA user_version",
            "WITH c(x) AS (SELECT 'insert') SELECT * FROM c",
            "WITH \"update\"(x) AS (SELECT 1) SELECT * FROM \"update\"",
            "BEGIN",
            "",
            "-- only a comment",
            "INSERTED",
        ] {
            assert!(!opens(sql), "{sql}");
        }
    }
}
