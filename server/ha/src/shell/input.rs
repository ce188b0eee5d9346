//! Statement accumulation: lines come in, whole statements go out. A statement ends at a `;`
//! that the project's lexer (`ha_types::sql_text`) says ends it, so a `;` inside a string, a
//! quoted name, a comment or a `CREATE TRIGGER` body does not.

use ha_types::sql_text::split_statements;

/// The input typed (or read) since the last complete statement.
#[derive(Debug, Default)]
pub struct StatementBuffer {
    text: String,
}

impl StatementBuffer {
    pub fn new() -> StatementBuffer {
        StatementBuffer::default()
    }

    /// Nothing but whitespace is waiting.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Forgets the unfinished input (Ctrl-C).
    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// Adds one line (or a pasted block of lines) and returns the statements it completes, in
    /// order, without their `;`. An unfinished statement stays for the next line.
    pub fn push_line(&mut self, line: &str) -> Vec<String> {
        self.text.push_str(line);
        self.text.push('\n');
        if ends_a_statement(&self.text) {
            let statements = owned(split_statements(&self.text));
            self.text.clear();
            return statements;
        }
        let pieces = split_statements(&self.text);
        let Some((last, complete)) = pieces.split_last() else {
            // Only the start of a comment or quote so far.
            return Vec::new();
        };
        let complete = owned(complete.to_vec());
        // Every piece but the last ended at a `;`; the last is kept as typed (untrimmed: it may
        // end inside a string, where spaces count).
        let rest_start = offset_in(&self.text, last);
        self.text.drain(..rest_start);
        complete
    }

    /// The end of the input: the unfinished statement, if any, as a last statement to run.
    pub fn finish(&mut self) -> Option<String> {
        let rest = owned(split_statements(&self.text)).into_iter().last();
        self.text.clear();
        rest
    }
}

/// Whether the text's last statement is ended by a `;` (or there is no statement at all and no
/// open quote or comment). Asked of the lexer itself: a word added after the text is a statement
/// of its own exactly when everything before it was ended.
fn ends_a_statement(text: &str) -> bool {
    const PROBE: &str = "ha_probe";
    let probed = format!("{text}\n{PROBE}");
    split_statements(&probed).last() == Some(&PROBE)
}

fn owned(pieces: Vec<&str>) -> Vec<String> {
    pieces.into_iter().map(str::to_string).collect()
}

/// Where `inner` (a subslice of `outer`, as `split_statements` returns) starts in `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize)
        .checked_sub(outer.as_ptr() as usize)
        .filter(|offset| *offset <= outer.len())
        .unwrap_or(0)
}

/// `EXIT` / `QUIT` (a statement, its `;` already taken off): the shell's own commands.
pub fn is_exit(statement: &str) -> bool {
    let word = statement.trim().trim_end_matches(';').trim();
    word.eq_ignore_ascii_case("exit") || word.eq_ignore_ascii_case("quit")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(buffer: &mut StatementBuffer, lines: &[&str]) -> Vec<String> {
        lines.iter().flat_map(|l| buffer.push_line(l)).collect()
    }

    #[test]
    fn a_statement_ends_at_its_semicolon() {
        let mut b = StatementBuffer::new();
        assert!(b.push_line("SELECT 1").is_empty());
        assert!(!b.is_empty());
        assert_eq!(b.push_line("  + 2;"), vec!["SELECT 1\n  + 2"]);
        assert!(b.is_empty());
    }

    #[test]
    fn several_statements_on_one_line_and_a_rest() {
        let mut b = StatementBuffer::new();
        assert_eq!(
            b.push_line("SELECT 1; SELECT 2; SELECT"),
            vec!["SELECT 1", "SELECT 2"]
        );
        assert_eq!(b.push_line("3;"), vec!["SELECT\n3"]);
    }

    #[test]
    fn semicolons_in_quotes_and_comments_do_not_end_it() {
        let mut b = StatementBuffer::new();
        let got = feed(
            &mut b,
            &["SELECT 'a;", "b' AS \"x;y\" -- c;", "/* d; */ , 2", ";"],
        );
        assert_eq!(got, vec!["SELECT 'a;\nb' AS \"x;y\" -- c;\n/* d; */ , 2"]);
        // Spaces at the end of a line inside a string are kept.
        assert!(b.push_line("SELECT 'a  ").is_empty());
        assert_eq!(b.push_line("';"), vec!["SELECT 'a  \n'"]);
    }

    #[test]
    fn a_trigger_body_ends_at_end() {
        let mut b = StatementBuffer::new();
        let got = feed(
            &mut b,
            &[
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN",
                "  INSERT INTO b VALUES (1);",
                "END;",
            ],
        );
        assert_eq!(got.len(), 1);
        assert!(got[0].ends_with("END"), "{got:?}");
    }

    #[test]
    fn comments_alone_and_blank_lines_are_nothing() {
        let mut b = StatementBuffer::new();
        assert!(b.push_line("-- just a note").is_empty());
        assert!(b.is_empty() || b.finish().is_none());
        let mut b = StatementBuffer::new();
        assert!(b.push_line("").is_empty());
        assert!(b.is_empty());
        assert!(b.push_line("/* open").is_empty());
        assert!(!b.is_empty());
        assert_eq!(b.push_line("*/ SELECT 1;"), vec!["/* open\n*/ SELECT 1"]);
    }

    #[test]
    fn the_end_of_input_runs_the_rest() {
        let mut b = StatementBuffer::new();
        assert!(b.push_line("SELECT 1").is_empty());
        assert_eq!(b.finish().as_deref(), Some("SELECT 1"));
        assert_eq!(b.finish(), None);
    }

    #[test]
    fn exit_and_quit() {
        assert!(is_exit("EXIT"));
        assert!(is_exit(" quit "));
        assert!(is_exit("exit;"));
        assert!(!is_exit("exits"));
        assert!(!is_exit("SELECT exit"));
    }
}
