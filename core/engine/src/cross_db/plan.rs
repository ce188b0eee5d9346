//! How a cross-database SELECT runs: the query each database answers, and the merge query that
//! SQLite runs over all their rows (an in-memory table `m`), so the merged answer orders,
//! compares, groups and removes duplicates exactly as SQLite does.
//!
//! Each database runs the select list as written (so its columns keep the names SQLite gives
//! them) plus hidden columns: the partials of the aggregates, the GROUP BY keys that are not
//! in the select list, and the ORDER BY expressions that are not output columns. The merge
//! query reads the visible columns as `__ha_c<N>` and the hidden ones by their names.

use std::ops::Range;

use super::aggregates::{Call, Scan};
use super::not_supported;
use super::shape::{Shape, Term, conjuncts};
use super::tokens::Sql;
use crate::CoreError;

pub(super) struct Plan {
    /// The statement each database runs.
    pub per_database: String,
    /// The names of the columns added after the statement's own, in order.
    pub hidden: Vec<String>,
    /// `None`: the databases' rows, one after the other, are the answer.
    pub merge: Option<MergeQuery>,
}

pub(super) struct MergeQuery {
    distinct: bool,
    items: Vec<Output>,
    group_by: Vec<(Column, String)>,
    having: Vec<String>,
    order_by: Vec<(Column, String)>,
    limit: Option<String>,
}

/// One select-list entry in the merge query.
enum Output {
    /// Read as the databases returned it (`star`: as many columns as they have).
    Plain { star: bool },
    /// Computed from the partials.
    Computed(String),
}

/// A column of the merge query, or an expression over its columns.
enum Column {
    Item(usize),
    /// A 1-based position in the select list.
    Position(i64),
    Hidden(String),
    Expression(String),
}

/// The merge query for rows of `visible` columns named `names`, and which of the answer's
/// columns it computes (they have no declared type).
pub(super) struct Rendered {
    pub sql: String,
    pub computed: Vec<bool>,
}

pub(super) fn plan(sql: &Sql) -> Result<Plan, CoreError> {
    let shape = Shape::parse(sql)?;
    if sql.mixes_parameters() {
        return Err(not_supported(
            "a cross-database query can't mix ? with named parameters: use one kind",
        ));
    }
    Planner {
        sql,
        shape: &shape,
        hidden: Vec::new(),
    }
    .plan()
}

struct Planner<'a, 's> {
    sql: &'a Sql<'s>,
    shape: &'a Shape,
    /// (expression, name) of each hidden column.
    hidden: Vec<(String, String)>,
}

impl Planner<'_, '_> {
    fn plan(mut self) -> Result<Plan, CoreError> {
        let (sql, shape) = (self.sql, self.shape);
        let item_scans = shape
            .items
            .iter()
            .map(|item| {
                if item.star {
                    Ok(Scan::default())
                } else {
                    Scan::of(sql, item.expression.clone())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let order_scans = shape
            .order_by
            .iter()
            .map(|term| Scan::of(sql, term.expression.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let having_parts = shape
            .having
            .clone()
            .map(|h| conjuncts(sql, h))
            .unwrap_or_default();
        let having_scans = having_parts
            .iter()
            .map(|part| Scan::of(sql, part.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let aggregated = !shape.group_by.is_empty()
            || [&item_scans, &order_scans, &having_scans]
                .iter()
                .any(|scans| scans.iter().any(|s| !s.calls.is_empty()));
        if !aggregated && !shape.distinct && shape.order_by.is_empty() && shape.limit.is_none() {
            return Ok(Plan {
                per_database: sql.text.to_string(),
                hidden: Vec::new(),
                merge: None,
            });
        }

        let mut group_by = Vec::new();
        for term in &shape.group_by {
            let column = match self.output_column(term) {
                Some(column) => column,
                None => self.hide("k", term.expression.clone()),
            };
            group_by.push((column, sql.span(term.suffix.clone()).to_string()));
        }
        let mut items = Vec::new();
        for (item, scan) in shape.items.iter().zip(&item_scans) {
            items.push(if scan.calls.is_empty() {
                Output::Plain { star: item.star }
            } else {
                Output::Computed(self.rewrite(item.expression.clone(), scan)?)
            });
        }
        let mut having = Vec::new();
        let mut kept_having = Vec::new();
        for (part, scan) in having_parts.iter().zip(&having_scans) {
            // A condition on the group keys alone filters each database's groups the same
            // way as the merged ones; one over aggregates (or result aliases) waits for them.
            let on_keys =
                !shape.group_by.is_empty() && scan.calls.is_empty() && !self.names_alias(scan);
            if !aggregated || on_keys {
                kept_having.push(format!("({})", sql.span_numbered(part.clone())));
            } else {
                having.push(format!("({})", self.rewrite(part.clone(), scan)?));
            }
        }
        let mut order_by = Vec::new();
        for (term, scan) in shape.order_by.iter().zip(&order_scans) {
            let column = if let Some(column) = self.output_column(term) {
                column
            } else if !scan.calls.is_empty() || self.names_alias(scan) {
                Column::Expression(self.rewrite(term.expression.clone(), scan)?)
            } else if shape.distinct {
                return Err(not_supported(
                    "with SELECT DISTINCT across databases, ORDER BY may only name output \
                     columns (by name, alias or position)",
                ));
            } else {
                self.hide("o", term.expression.clone())
            };
            order_by.push((column, sql.span(term.suffix.clone()).to_string()));
        }
        let limit = match &shape.limit {
            Some(limit) if sql.has_parameter(limit.range.clone()) => {
                return Err(not_supported(
                    "LIMIT/OFFSET of a cross-database query must be literals, not parameters",
                ));
            }
            Some(limit) => Some(sql.span(limit.range.clone()).to_string()),
            None => None,
        };
        let per_database = self.per_database(aggregated, &kept_having);
        Ok(Plan {
            per_database,
            hidden: self.hidden.into_iter().map(|(_, name)| name).collect(),
            merge: Some(MergeQuery {
                distinct: shape.distinct,
                items,
                group_by,
                having,
                order_by,
                limit,
            }),
        })
    }

    /// The select-list entry a GROUP BY or ORDER BY term names: by position, by alias, or by
    /// being the same expression as an entry without aggregates.
    fn output_column(&self, term: &Term) -> Option<Column> {
        let (sql, expression) = (self.sql, term.expression.clone());
        if expression.len() == 1
            && let Some(position) = sql.integer(expression.clone())
        {
            return Some(Column::Position(position));
        }
        if expression.len() == 1 && sql.is_name(expression.start) {
            let name = sql.name(expression.start);
            let by_alias = self.shape.items.iter().position(|item| {
                item.alias
                    .as_deref()
                    .is_some_and(|alias| alias.eq_ignore_ascii_case(&name))
            });
            if let Some(index) = by_alias {
                return Some(Column::Item(index));
            }
        }
        self.shape
            .items
            .iter()
            .position(|item| {
                !item.star && sql.same_expression(item.expression.clone(), expression.clone())
            })
            .filter(|&index| {
                Scan::of(sql, self.shape.items[index].expression.clone())
                    .is_ok_and(|scan| scan.calls.is_empty())
            })
            .map(Column::Item)
    }

    /// Whether an expression names a result alias (resolved by the merge query, whose output
    /// columns carry the same names).
    fn names_alias(&self, scan: &Scan) -> bool {
        scan.names.iter().any(|name| {
            self.shape.items.iter().any(|item| {
                item.alias
                    .as_deref()
                    .is_some_and(|alias| alias.eq_ignore_ascii_case(name))
            })
        })
    }

    /// Adds a hidden column computing `expression` on each database.
    fn hide(&mut self, kind: &str, expression: Range<usize>) -> Column {
        let name = format!("__ha_{kind}{}", self.hidden.len());
        self.hidden
            .push((self.sql.span_numbered(expression), name.clone()));
        Column::Hidden(name)
    }

    /// The text of an expression for the merge query: each aggregate call replaced by the
    /// merge of its partials, which become hidden columns.
    fn rewrite(&mut self, range: Range<usize>, scan: &Scan) -> Result<String, CoreError> {
        let sql = self.sql;
        let in_call = |i: usize| scan.calls.iter().any(|c| c.range.contains(&i));
        for i in range.clone().filter(|&i| !in_call(i)) {
            if sql.has_parameter(i..i + 1) {
                return Err(not_supported(
                    "a parameter outside the aggregates' arguments can't be used after the \
                     merge: write the value in the SQL",
                ));
            }
            if sql.opens_subquery(i) {
                return Err(not_supported(
                    "a subquery beside aggregates can't be evaluated over the merged rows",
                ));
            }
        }
        // Byte offsets: the text between the calls is copied as written.
        let start_of = |i: usize| sql.tokens.get(i).map_or(sql.text.len(), |t| t.start);
        let end_of = |i: usize| sql.tokens.get(i).map_or(sql.text.len(), |t| t.end);
        let mut out = String::new();
        let mut cursor = start_of(range.start);
        for call in &scan.calls {
            out.push_str(&sql.text[cursor..start_of(call.range.start)]);
            out.push_str(&self.merge_of(call));
            cursor = end_of(call.range.end - 1);
        }
        if range.end > range.start {
            out.push_str(&sql.text[cursor..end_of(range.end - 1).max(cursor)]);
        }
        Ok(out)
    }

    fn merge_of(&mut self, call: &Call) -> String {
        let names: Vec<String> = call
            .partials(self.sql)
            .into_iter()
            .map(|partial| {
                let name = format!("__ha_a{}", self.hidden.len());
                self.hidden.push((partial, name.clone()));
                name
            })
            .collect();
        call.merge(&names)
    }

    fn per_database(&self, aggregated: bool, kept_having: &[String]) -> String {
        let (sql, shape) = (self.sql, self.shape);
        let mut out = String::new();
        if !shape.prefix.is_empty() {
            out.push_str(sql.span(shape.prefix.clone()));
            out.push(' ');
        }
        out.push_str("SELECT ");
        // Aggregated rows are one per group already; DISTINCT applies to the merged ones.
        if shape.distinct && !aggregated {
            out.push_str("DISTINCT ");
        }
        // The select list as written, so that its columns keep the names SQLite gives them
        // (its bare `?` keep their numbers: nothing before them moved); whatever follows is
        // numbered, since hidden columns now come before it.
        out.push_str(sql.span(shape.items_range.clone()));
        for (expression, name) in &self.hidden {
            out.push_str(&format!(", {expression} AS {name}"));
        }
        for clause in [Some(shape.body.clone()), shape.group_clause.clone()]
            .into_iter()
            .flatten()
            .filter(|c| !c.is_empty())
        {
            out.push(' ');
            out.push_str(&sql.span_numbered(clause));
        }
        if !kept_having.is_empty() {
            out.push_str(" HAVING ");
            out.push_str(&kept_having.join(" AND "));
        }
        // Without aggregates, each database needs to return only the first LIMIT + OFFSET
        // rows in the statement's order: no others can be in the answer.
        if !aggregated && let Some(rows) = shape.limit.as_ref().and_then(|l| l.rows_needed) {
            if let Some(order) = &shape.order_clause {
                out.push(' ');
                out.push_str(&sql.span_numbered(order.clone()));
            }
            out.push_str(&format!(" LIMIT {rows}"));
        }
        out
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The visible column of the merged table.
pub(super) fn column_name(index: usize) -> String {
    format!("__ha_c{index}")
}

impl MergeQuery {
    /// The merge query over `m`, for rows whose visible columns are named `names`.
    pub fn render(&self, names: &[String]) -> Result<Rendered, CoreError> {
        let layout = self.layout(names.len())?;
        let mut computed = vec![false; names.len()];
        let mut select = Vec::with_capacity(names.len());
        match &layout {
            Some(layout) => {
                for (item, columns) in self.items.iter().zip(layout) {
                    for index in columns.clone() {
                        let expression = match item {
                            Output::Computed(expression) => {
                                computed[index] = true;
                                expression.clone()
                            }
                            Output::Plain { .. } => column_name(index),
                        };
                        select.push(format!("{expression} AS {}", quoted(&names[index])));
                    }
                }
            }
            None => {
                for (index, name) in names.iter().enumerate() {
                    select.push(format!("{} AS {}", column_name(index), quoted(name)));
                }
            }
        }
        let item_column = |index: usize| -> Result<usize, CoreError> {
            layout
                .as_ref()
                .and_then(|l| l.get(index))
                .map(|range| range.start)
                .ok_or_else(|| not_supported(several_stars()))
        };
        let mut sql = format!(
            "SELECT {}{} FROM m",
            if self.distinct { "DISTINCT " } else { "" },
            select.join(", ")
        );
        if !self.group_by.is_empty() {
            let mut keys = Vec::new();
            for (column, suffix) in &self.group_by {
                let key = match column {
                    Column::Item(index) => column_name(item_column(*index)?),
                    Column::Position(p) if *p >= 1 && (*p as usize) <= names.len() => {
                        column_name(*p as usize - 1)
                    }
                    Column::Position(p) => {
                        return Err(super::bad_request(format!(
                            "GROUP BY {p} is out of range: the select list has {} columns",
                            names.len()
                        )));
                    }
                    Column::Hidden(name) | Column::Expression(name) => name.clone(),
                };
                keys.push(format!("{key} {suffix}").trim_end().to_string());
            }
            sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
        }
        if !self.having.is_empty() {
            sql.push_str(&format!(" HAVING {}", self.having.join(" AND ")));
        }
        if !self.order_by.is_empty() {
            let mut terms = Vec::new();
            for (column, suffix) in &self.order_by {
                // An output column is ordered by its position in the answer: an aggregate's
                // merged value, not the per-database one.
                let term = match column {
                    Column::Item(index) => (item_column(*index)? + 1).to_string(),
                    Column::Position(p) => p.to_string(),
                    Column::Hidden(text) | Column::Expression(text) => text.clone(),
                };
                terms.push(format!("{term} {suffix}").trim_end().to_string());
            }
            sql.push_str(&format!(" ORDER BY {}", terms.join(", ")));
        }
        if let Some(limit) = &self.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        Ok(Rendered { sql, computed })
    }

    /// The visible columns of each select-list entry; `None` when several `*` make it
    /// unknowable (then only a plain select list can be merged).
    fn layout(&self, visible: usize) -> Result<Option<Vec<Range<usize>>>, CoreError> {
        let stars = self
            .items
            .iter()
            .filter(|item| matches!(item, Output::Plain { star: true }))
            .count();
        let fixed = self.items.len() - stars;
        if stars > 1 {
            if self.items.iter().any(|i| matches!(i, Output::Computed(_))) {
                return Err(not_supported(several_stars()));
            }
            return Ok(None);
        }
        if visible < fixed || (stars == 0 && visible != fixed) {
            return Err(CoreError::Sql {
                code: ha_types::ErrorCode::Internal,
                message: format!(
                    "the databases returned {visible} columns where {fixed} were expected"
                ),
            });
        }
        let mut layout = Vec::with_capacity(self.items.len());
        let mut next = 0;
        for item in &self.items {
            let width = match item {
                Output::Plain { star: true } => visible - fixed,
                _ => 1,
            };
            layout.push(next..next + width);
            next += width;
        }
        Ok(Some(layout))
    }
}

fn several_stars() -> &'static str {
    "with several * in the select list, a cross-database query can only concatenate, \
     order by position and limit: name the columns"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(text: &str, names: &[&str]) -> (String, Vec<String>, Option<String>) {
        let sql = Sql::new(text);
        let plan = plan(&sql).unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let merge = plan.merge.map(|m| m.render(&names).unwrap().sql);
        (plan.per_database, plan.hidden, merge)
    }

    #[test]
    fn a_plain_select_is_concatenated() {
        let (per_database, hidden, merge) = planned("SELECT id, name FROM users", &[]);
        assert_eq!(per_database, "SELECT id, name FROM users");
        assert!(hidden.is_empty() && merge.is_none());
    }

    #[test]
    fn order_and_limit_apply_to_the_merged_rows() {
        let (per_database, hidden, merge) = planned(
            "SELECT id, name AS n FROM users WHERE id > 2 ORDER BY n DESC, upper(name), 1 \
             LIMIT 2 OFFSET 3",
            &["id", "n"],
        );
        assert_eq!(
            per_database,
            "SELECT id, name AS n, upper(name) AS __ha_o0 FROM users WHERE id > 2 \
             ORDER BY n DESC, upper(name), 1 LIMIT 5"
        );
        assert_eq!(hidden, vec!["__ha_o0"]);
        assert_eq!(
            merge.unwrap(),
            "SELECT __ha_c0 AS \"id\", __ha_c1 AS \"n\" FROM m ORDER BY 2 DESC, __ha_o0, 1 \
             LIMIT 2 OFFSET 3"
        );
    }

    #[test]
    fn aggregates_are_merged_from_partials() {
        let (per_database, hidden, merge) = planned(
            "SELECT dept, AVG(salary) AS mean, count(*) FROM staff GROUP BY dept \
             HAVING count(*) > 1 AND dept <> 'x' ORDER BY mean DESC",
            &["dept", "mean", "count(*)"],
        );
        assert_eq!(
            per_database,
            "SELECT dept, AVG(salary) AS mean, count(*), total(salary) AS __ha_a0, \
             count(salary) AS __ha_a1, count(*) AS __ha_a2, count(*) AS __ha_a3 FROM staff \
             GROUP BY dept HAVING (dept <> 'x')"
        );
        assert_eq!(hidden.len(), 4);
        assert_eq!(
            merge.unwrap(),
            "SELECT __ha_c0 AS \"dept\", (total(__ha_a0) / sum(__ha_a1)) AS \"mean\", \
             sum(__ha_a2) AS \"count(*)\" FROM m GROUP BY __ha_c0 HAVING (sum(__ha_a3) > 1) \
             ORDER BY 2 DESC"
        );
    }

    #[test]
    fn group_keys_outside_the_select_list_are_hidden_columns() {
        let (per_database, _, merge) = planned(
            "SELECT count(*) AS n FROM t GROUP BY lower(name) COLLATE NOCASE",
            &["n"],
        );
        assert_eq!(
            per_database,
            "SELECT count(*) AS n, lower(name) AS __ha_k0, count(*) AS __ha_a1 FROM t \
             GROUP BY lower(name) COLLATE NOCASE"
        );
        assert_eq!(
            merge.unwrap(),
            "SELECT sum(__ha_a1) AS \"n\" FROM m GROUP BY __ha_k0 COLLATE NOCASE"
        );
    }

    #[test]
    fn repeated_and_moved_parameters_keep_their_numbers() {
        let (per_database, _, _) = planned(
            "SELECT avg(n + ?) FROM t WHERE n > ? GROUP BY b + ?",
            &["avg(n + ?)"],
        );
        assert_eq!(
            per_database,
            "SELECT avg(n + ?), b + ?3 AS __ha_k0, total(n + ?1) AS __ha_a1, \
             count(n + ?1) AS __ha_a2 FROM t WHERE n > ?2 GROUP BY b + ?3"
        );
    }

    #[test]
    fn a_star_takes_the_columns_left() {
        let (_, _, merge) = planned("SELECT *, 1 AS one FROM t ORDER BY one", &["a", "b", "one"]);
        assert_eq!(
            merge.unwrap(),
            "SELECT __ha_c0 AS \"a\", __ha_c1 AS \"b\", __ha_c2 AS \"one\" FROM m ORDER BY 3"
        );
    }

    #[test]
    fn refuses_what_would_be_wrong() {
        for text in [
            "SELECT DISTINCT a FROM t ORDER BY b",
            "SELECT count(*) FROM t HAVING count(*) > ?",
            "SELECT a FROM t LIMIT ?",
            "SELECT sum(a) + (SELECT 1) FROM t",
        ] {
            let sql = Sql::new(text);
            let error = plan(&sql).err().unwrap_or_else(|| panic!("{text} planned"));
            assert_eq!(error.code(), ha_types::ErrorCode::NotSupported, "{text}");
        }
    }
}
