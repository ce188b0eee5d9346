//! The aggregate calls of an expression and how each is merged: every database returns a
//! partial (`count(x)`, or for `avg(x)` both `total(x)` and `count(x)`), and the merge query
//! combines the partials (`sum` of the counts, `total(..)/sum(..)` for the average). Aggregates
//! whose partials cannot be combined (`count(DISTINCT x)`, `json_group_array`, an ordered
//! `group_concat`) and window functions are refused rather than answered wrongly.

use std::ops::Range;

use ha_types::sql_text::TokenKind;

use super::not_supported;
use super::tokens::Sql;
use crate::CoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Aggregate {
    Count,
    Sum,
    Total,
    Avg,
    Min,
    Max,
    /// `group_concat(x)` or `group_concat(x, sep)`: the separator's literal text, if given.
    GroupConcat(Option<String>),
    /// `string_agg(x, sep)`.
    StringAgg(String),
}

/// Aggregates of SQLite (and its common extensions) whose partials can't be merged.
const UNMERGEABLE: &[&str] = &[
    "json_group_array",
    "json_group_object",
    "jsonb_group_array",
    "jsonb_group_object",
    "median",
    "percentile",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "stddev",
    "variance",
];

/// One aggregate call: `name(args) [FILTER (WHERE ...)]`.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub aggregate: Aggregate,
    /// The whole call, FILTER clause included.
    pub range: Range<usize>,
    pub args: Range<usize>,
    pub filter: Option<Range<usize>>,
}

/// What an expression holds, outside the subqueries (which run on each database as they are).
#[derive(Debug, Default)]
pub(super) struct Scan {
    pub calls: Vec<Call>,
    /// Names used as values (column references or result aliases), outside aggregate calls.
    pub names: Vec<String>,
}

/// Words that are not column names where the scan meets them.
const KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "IS", "IN", "LIKE", "GLOB", "REGEXP", "MATCH", "ESCAPE", "BETWEEN", "CASE",
    "WHEN", "THEN", "ELSE", "END", "NULL", "ISNULL", "NOTNULL", "CAST", "AS", "COLLATE",
    "DISTINCT", "ALL", "EXISTS", "TRUE", "FALSE", "FILTER", "WHERE",
];

impl Scan {
    pub fn of(sql: &Sql, range: Range<usize>) -> Result<Scan, CoreError> {
        let mut scan = Scan::default();
        let mut i = range.start;
        while i < range.end {
            if sql.opens_subquery(i) {
                i = sql.closing(i) + 1;
                continue;
            }
            if sql.is_word(i, "OVER") {
                return Err(not_supported(
                    "window functions (OVER) can't be merged across databases",
                ));
            }
            let is_call = sql.is_symbol(i + 1, "(");
            if is_call && let Some(call) = aggregate_call(sql, i)? {
                i = call.range.end;
                if sql.is_word(i, "OVER") {
                    return Err(not_supported(
                        "window functions (OVER) can't be merged across databases",
                    ));
                }
                scan.calls.push(call);
                continue;
            }
            if !is_call
                && sql.is_name(i)
                && !sql.is_symbol(i + 1, ".")
                && !sql.is_any_word(i, KEYWORDS)
                && (i == 0 || !sql.is_word(i - 1, "COLLATE"))
            {
                scan.names.push(sql.name(i));
            }
            i += 1;
        }
        Ok(scan)
    }
}

/// The aggregate call whose name is token `name` (followed by `(`), or `None` for a scalar
/// function.
fn aggregate_call(sql: &Sql, name: usize) -> Result<Option<Call>, CoreError> {
    let function = sql.str(name).to_ascii_lowercase();
    if sql.kind(name) != Some(TokenKind::Word) {
        return Ok(None);
    }
    if UNMERGEABLE.contains(&function.as_str()) {
        return Err(not_supported(format!(
            "{function}() can't be merged across databases"
        )));
    }
    let open = name + 1;
    let close = sql.closing(open);
    let args = open + 1..close;
    let parts = sql.split_commas(args.clone());
    let one_argument = parts.len() == 1 && !args.is_empty();
    let aggregate = match function.as_str() {
        "count" => Aggregate::Count,
        "sum" => Aggregate::Sum,
        "total" => Aggregate::Total,
        "avg" => Aggregate::Avg,
        // With two or more arguments, min and max are scalar functions.
        "min" if one_argument => Aggregate::Min,
        "max" if one_argument => Aggregate::Max,
        "group_concat" if parts.len() <= 2 => {
            Aggregate::GroupConcat(parts.get(1).map(|p| separator(sql, p)).transpose()?)
        }
        "string_agg" if parts.len() == 2 => Aggregate::StringAgg(separator(sql, &parts[1])?),
        _ => return Ok(None),
    };
    let ordered = args.clone().any(|i| {
        sql.is_word(i, "ORDER") && sql.is_word(i + 1, "BY") && at_depth_zero(sql, &args, i)
    });
    if ordered {
        return Err(not_supported(format!(
            "{function}(... ORDER BY ...) can't be merged across databases: its order spans them"
        )));
    }
    if sql.is_word(args.start, "DISTINCT") && !matches!(aggregate, Aggregate::Min | Aggregate::Max)
    {
        return Err(not_supported(format!(
            "{function}(DISTINCT ...) can't be merged across databases: a value may be in \
             several of them (count the distinct values with GROUP BY instead)"
        )));
    }
    let mut end = close + 1;
    let mut filter = None;
    if sql.is_word(end, "FILTER") && sql.is_symbol(end + 1, "(") {
        let filter_end = sql.closing(end + 1) + 1;
        filter = Some(end..filter_end);
        end = filter_end;
    }
    Ok(Some(Call {
        aggregate,
        range: name..end.min(sql.len()),
        args,
        filter,
    }))
}

fn at_depth_zero(sql: &Sql, range: &Range<usize>, at: usize) -> bool {
    let mut depth = 0i32;
    for i in range.start..at {
        if sql.is_symbol(i, "(") {
            depth += 1;
        } else if sql.is_symbol(i, ")") {
            depth -= 1;
        }
    }
    depth == 0
}

/// A separator must be a literal: the merge joins the partials with it.
fn separator(sql: &Sql, part: &Range<usize>) -> Result<String, CoreError> {
    if part.len() == 1 && sql.kind(part.start) == Some(TokenKind::String) {
        return Ok(sql.str(part.start).to_string());
    }
    Err(not_supported(
        "group_concat/string_agg across databases need a string literal as separator",
    ))
}

impl Call {
    /// The partial aggregates each database returns for this call.
    pub fn partials(&self, sql: &Sql) -> Vec<String> {
        let args = sql.span_numbered(self.args.clone());
        let filter = self
            .filter
            .clone()
            .map(|f| format!(" {}", sql.span_numbered(f)))
            .unwrap_or_default();
        let call = |function: &str| format!("{function}({args}){filter}");
        match &self.aggregate {
            Aggregate::Count => vec![call("count")],
            Aggregate::Sum => vec![call("sum")],
            Aggregate::Total => vec![call("total")],
            Aggregate::Avg => vec![call("total"), call("count")],
            Aggregate::Min => vec![call("min")],
            Aggregate::Max => vec![call("max")],
            Aggregate::GroupConcat(_) => vec![call("group_concat")],
            Aggregate::StringAgg(_) => vec![call("string_agg")],
        }
    }

    /// The merge of the partials, named `partials` in the merged rows. Each count is an
    /// INTEGER, so `sum` of the counts stays one; an average is the exact total over the exact
    /// count (a division by zero is NULL, like `avg` of nothing).
    pub fn merge(&self, partials: &[String]) -> String {
        let first = partials.first().map_or("NULL", String::as_str);
        match &self.aggregate {
            Aggregate::Count | Aggregate::Sum => format!("sum({first})"),
            Aggregate::Total => format!("total({first})"),
            Aggregate::Avg => {
                let count = partials.get(1).map_or("NULL", String::as_str);
                format!("(total({first}) / sum({count}))")
            }
            Aggregate::Min => format!("min({first})"),
            Aggregate::Max => format!("max({first})"),
            Aggregate::GroupConcat(None) => format!("group_concat({first})"),
            Aggregate::GroupConcat(Some(sep)) => format!("group_concat({first}, {sep})"),
            Aggregate::StringAgg(sep) => format!("string_agg({first}, {sep})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> (Sql<'_>, Result<Scan, CoreError>) {
        let sql = Sql::new(text);
        let scan = Scan::of(&sql, 0..sql.len());
        (sql, scan)
    }

    #[test]
    fn finds_aggregates_in_any_letter_case_and_their_partials() {
        let (sql, found) = scan(
            "round(AVG(x), 2) + Count(*) FILTER (WHERE y > 1) + max(a, b) + MIN(z) \
             + (SELECT sum(q) FROM u) + group_concat(n, '; ') + k",
        );
        let found = found.unwrap();
        let kinds: Vec<Aggregate> = found.calls.iter().map(|c| c.aggregate.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                Aggregate::Avg,
                Aggregate::Count,
                Aggregate::Min,
                Aggregate::GroupConcat(Some("'; '".into()))
            ]
        );
        assert_eq!(found.calls[0].partials(&sql), vec!["total(x)", "count(x)"]);
        assert_eq!(
            found.calls[1].partials(&sql),
            vec!["count(*) FILTER (WHERE y > 1)"]
        );
        assert_eq!(
            found.calls[0].merge(&["p".into(), "q".into()]),
            "(total(p) / sum(q))"
        );
        assert_eq!(found.names, vec!["a", "b", "k"]);
    }

    #[test]
    fn refuses_what_cannot_be_merged() {
        for text in [
            "count(DISTINCT x)",
            "sum(x) OVER (PARTITION BY y)",
            "row_number() OVER w",
            "json_group_array(x)",
            "group_concat(x, sep_column)",
            "group_concat(x ORDER BY y)",
        ] {
            let (_, found) = scan(text);
            let error = found.err().unwrap_or_else(|| panic!("{text} accepted"));
            assert_eq!(error.code(), ha_types::ErrorCode::NotSupported, "{text}");
        }
        let (_, found) = scan("max(DISTINCT x) + count(x)");
        assert_eq!(found.unwrap().calls.len(), 2);
    }
}
