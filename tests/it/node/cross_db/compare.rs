//! Whether two answers (`{"columns", "rows"}`) are the same for a query's [`Check`]: numbers
//! equal up to a small relative error (an INTEGER and an equal REAL alike), concatenations equal
//! as multisets of their parts, rows in the same order only where the query fixes it.

use serde_json::Value;

use super::queries::{Check, Order};

/// `Err` with what differs.
pub fn same_answer(merged: &Value, union: &Value, check: &Check) -> Result<(), String> {
    if merged["columns"] != union["columns"] {
        return Err(format!(
            "columns {} instead of {}",
            merged["columns"], union["columns"]
        ));
    }
    let mut merged_rows = normalized(merged, check)?;
    let mut union_rows = normalized(union, check)?;
    if merged_rows.len() != union_rows.len() {
        return Err(format!(
            "{} rows instead of {}",
            merged_rows.len(),
            union_rows.len()
        ));
    }
    match &check.order {
        Order::Total => return same_rows(&merged_rows, &union_rows, "in order"),
        Order::Keys(keys) => {
            let project = |rows: &[Vec<Value>]| -> Vec<Vec<Value>> {
                rows.iter()
                    .map(|row| keys.iter().map(|&k| row[k].clone()).collect())
                    .collect()
            };
            same_rows(&project(&merged_rows), &project(&union_rows), "order keys")?;
        }
        Order::Unordered => {}
    }
    merged_rows.sort_by_key(|row| sort_key(row));
    union_rows.sort_by_key(|row| sort_key(row));
    same_rows(&merged_rows, &union_rows, "as multisets")
}

/// The rows, with each concatenation's parts sorted.
fn normalized(answer: &Value, check: &Check) -> Result<Vec<Vec<Value>>, String> {
    let rows = answer["rows"]
        .as_array()
        .ok_or_else(|| format!("no rows in {answer}"))?;
    rows.iter()
        .map(|row| {
            let mut row = row
                .as_array()
                .ok_or_else(|| format!("a row is not an array: {row}"))?
                .clone();
            for &(column, separator) in &check.concatenated {
                if let Some(Value::String(text)) = row.get(column) {
                    let mut parts: Vec<&str> = text.split(separator).collect();
                    parts.sort_unstable();
                    row[column] = Value::String(parts.join(separator));
                }
            }
            Ok(row)
        })
        .collect()
}

fn same_rows(a: &[Vec<Value>], b: &[Vec<Value>], how: &str) -> Result<(), String> {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x.len() != y.len() || x.iter().zip(y).any(|(p, q)| !same_value(p, q)) {
            return Err(format!(
                "row {i} ({how}): {} instead of {}",
                Value::from(x.clone()),
                Value::from(y.clone())
            ));
        }
    }
    Ok(())
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
            }
        },
        _ => a == b,
    }
}

/// A key that sorts equal rows next to each other (numbers by value, whatever their type).
fn sort_key(row: &[Value]) -> String {
    row.iter()
        .map(|value| match value {
            Value::Number(n) => format!("n{:+.9e}", n.as_f64().unwrap_or(0.0)),
            other => format!("v{other}"),
        })
        .collect::<Vec<_>>()
        .join("\u{1}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_and_concatenations_compare_loosely() {
        let check = Check {
            concatenated: vec![(1, ",")],
            order: Order::Unordered,
        };
        let a = json!({"columns": ["a", "b"], "rows": [[1, "x,y"], [2.5, null]]});
        let b = json!({"columns": ["a", "b"], "rows": [[2.5, null], [1.0, "y,x"]]});
        assert_eq!(same_answer(&a, &b, &check), Ok(()));
        let c = json!({"columns": ["a", "b"], "rows": [[2.5, null], [1.5, "y,x"]]});
        assert!(same_answer(&a, &c, &check).is_err());
    }
}
