//! The config file: one `name value` per line.
//!
//! - blank lines and lines starting with `#` are skipped; ` #` after an unquoted value starts a
//!   comment too (quote the value to keep a ` #` in it);
//! - the name may be written `port`, `--port`, `-p`, `HA_PORT` or `nats_port`; `name=value` and
//!   `name = value` work as well as `name value`;
//! - a bare name means `true`;
//! - a value may be double-quoted, with `\"` and `\\` inside; unquoted, it is the rest of the line
//!   without surrounding spaces.
//!
//! Only syntax is checked here; names and values are checked against the flags by the loader.

/// One setting read from the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// 1-based line number.
    pub line: usize,
    /// The name as written (dashes and `HA_` still on).
    pub name: String,
    /// `None` for a bare name.
    pub value: Option<String>,
}

/// A syntax error: the line number and what is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct FileSyntaxError {
    pub line: usize,
    pub message: String,
}

pub fn parse_config_file(text: &str) -> Result<Vec<FileEntry>, FileSyntaxError> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let name_len = trimmed
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(trimmed.len());
        let (name, rest) = trimmed.split_at(name_len);
        let rest = rest.trim_start();
        let (had_equals, rest) = match rest.strip_prefix('=') {
            Some(after) => (true, after.trim_start()),
            None => (false, rest),
        };
        if name.is_empty() {
            return Err(FileSyntaxError {
                line,
                message: "a setting name is missing before '='".into(),
            });
        }
        let value = parse_value(rest).map_err(|message| FileSyntaxError { line, message })?;
        let value = match value {
            // `name=` sets an empty value; a bare `name` means true.
            None if had_equals => Some(String::new()),
            v => v,
        };
        entries.push(FileEntry {
            line,
            name: name.to_string(),
            value,
        });
    }
    Ok(entries)
}

/// The value part of a line (already trimmed at the start); `None` when there is none.
fn parse_value(rest: &str) -> Result<Option<String>, String> {
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(None);
    }
    if let Some(quoted) = rest.strip_prefix('"') {
        return parse_quoted(quoted).map(Some);
    }
    let mut end = rest.len();
    let mut previous_is_space = false;
    for (i, c) in rest.char_indices() {
        if c == '#' && previous_is_space {
            end = i;
            break;
        }
        previous_is_space = c.is_whitespace();
    }
    Ok(Some(rest[..end].trim_end().to_string()))
}

/// The text after an opening quote: the value up to the closing quote, then only a comment.
fn parse_quoted(text: &str) -> Result<String, String> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => return Err("unterminated quoted value".into()),
            },
            '"' => {
                let after = text[i + 1..].trim_start();
                if after.is_empty() || after.starts_with('#') {
                    return Ok(value);
                }
                return Err(format!(
                    "unexpected text after the closing quote: '{after}'"
                ));
            }
            other => value.push(other),
        }
    }
    Err("unterminated quoted value".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn entry(line: usize, name: &str, value: Option<&str>) -> FileEntry {
        FileEntry {
            line,
            name: name.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn reads_names_values_comments_and_bare_names() {
        let text = "# a comment\n\nport 9000\n  --memory\nHA_TOKEN   s3cret  \nname=node-1\n\
                    db-params = a=1&b=2\n  # indented comment\nlog-level debug # trailing comment\n-p 1\n";
        assert_eq!(
            parse_config_file(text).unwrap(),
            vec![
                entry(3, "port", Some("9000")),
                entry(4, "--memory", None),
                entry(5, "HA_TOKEN", Some("s3cret")),
                entry(6, "name", Some("node-1")),
                entry(7, "db-params", Some("a=1&b=2")),
                entry(9, "log-level", Some("debug")),
                entry(10, "-p", Some("1")),
            ]
        );
    }

    #[test]
    fn unquoted_values_keep_inner_spaces_and_hashes() {
        let text = "replication-policy by_start_time=2024-01-02 03:04:05\ntoken a#b\nmemory # on\n";
        assert_eq!(
            parse_config_file(text).unwrap(),
            vec![
                entry(
                    1,
                    "replication-policy",
                    Some("by_start_time=2024-01-02 03:04:05")
                ),
                entry(2, "token", Some("a#b")),
                entry(3, "memory", None),
            ]
        );
    }

    #[test]
    fn quoted_values() {
        let text = "token \"a # b \\\"c\\\" \\\\ \"  # comment\nmysql-pass \"\"\nname=\"x y\"\npath \"C:\\dir\"\n";
        assert_eq!(
            parse_config_file(text).unwrap(),
            vec![
                entry(1, "token", Some("a # b \"c\" \\ ")),
                entry(2, "mysql-pass", Some("")),
                entry(3, "name", Some("x y")),
                entry(4, "path", Some("C:\\dir")),
            ]
        );
    }

    #[test]
    fn empty_value_after_equals_is_not_a_bare_name() {
        assert_eq!(
            parse_config_file("token=\n").unwrap(),
            vec![entry(1, "token", Some(""))]
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = parse_config_file("port 1\ntoken \"abc\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("unterminated"), "{}", err.message);

        let err = parse_config_file("\n\ntoken \"abc\" def\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(
            err.message.contains("after the closing quote"),
            "{}",
            err.message
        );

        let err = parse_config_file("= 5\n").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
