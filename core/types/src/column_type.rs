//! The type a typed protocol (PostgreSQL, MySQL) describes a result column with: decided here,
//! once, for every door.
//!
//! SQLite's types are advisory: a column declared INTEGER may hold 2.5 or 'z', an untyped
//! column any mix, and an expression's values may differ row by row (`SELECT 1 UNION ALL
//! SELECT 'x'`). No query may fail because of that, so:
//!
//! - **Values seen before the type is told** (a whole result in hand: the simple protocol, a
//!   described portal, MySQL's result sets): a column takes its declared type when every value
//!   fits it ([`ColumnType::fits`]), else the one storage class all its values share (integers
//!   among reals: real, when each converts exactly), else text, which carries every value.
//!   A column without values takes its declared type, else text.
//! - **Type told before the values** (a prepared statement's Describe): the declared type, or
//!   a function's fixed result type ([`ColumnType::of_expression`]), else text. A value that
//!   does not fit is converted when that is exact (2.0 as an integer) and otherwise sent as its
//!   text, which a text-format client receives as it is; only a binary-format field that
//!   cannot hold it fails (the door's error says so).

use crate::Value;

/// What a result column is described as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Integer,
    Real,
    Text,
    Blob,
    /// A column declared BOOL/BOOLEAN whose values are 0 and 1.
    Boolean,
}

impl ColumnType {
    /// The type a declared SQLite type names (SQLite's affinity rules, plus BOOL), or `None`
    /// when the declaration says nothing the values can be trusted to follow.
    pub fn declared(declared_type: &str) -> Option<ColumnType> {
        let upper = declared_type.to_ascii_uppercase();
        let has = |needle: &str| upper.contains(needle);
        Some(if has("BOOL") {
            ColumnType::Boolean
        } else if has("INT") {
            ColumnType::Integer
        } else if has("CHAR")
            || has("CLOB")
            || has("TEXT")
            || has("JSON")
            || has("UUID")
            || has("DATE")
            || has("TIME")
        {
            ColumnType::Text
        } else if has("BLOB") || has("BYTEA") || has("BINARY") {
            ColumnType::Blob
        } else if has("REAL") || has("FLOA") || has("DOUB") || has("NUMERIC") || has("DECIMAL") {
            ColumnType::Real
        } else {
            return None;
        })
    }

    /// The fixed result type of an un-aliased function column, by its text (SQLite names such
    /// a column after the expression): `count(*)` is an integer whatever the rows hold.
    pub fn of_expression(name: &str) -> Option<ColumnType> {
        let lower = name.trim().to_ascii_lowercase();
        if !lower.ends_with(')') {
            return None;
        }
        let function = lower.split('(').next().unwrap_or_default().trim();
        match function {
            "count" | "length" | "octet_length" | "changes" | "total_changes"
            | "last_insert_rowid" | "random" | "unicode" | "instr" | "sign" => {
                Some(ColumnType::Integer)
            }
            "avg" | "total" => Some(ColumnType::Real),
            "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "substr" | "substring" | "replace"
            | "group_concat" | "string_agg" | "hex" | "quote" | "typeof" | "printf" | "format"
            | "date" | "time" | "datetime" | "strftime" | "sqlite_version" => {
                Some(ColumnType::Text)
            }
            _ => None,
        }
    }

    /// The type of a value's storage class (`None` for NULL).
    pub fn of_value(value: &Value) -> Option<ColumnType> {
        match value {
            Value::Null => None,
            Value::Integer(_) => Some(ColumnType::Integer),
            Value::Real(_) => Some(ColumnType::Real),
            Value::Text(_) => Some(ColumnType::Text),
            Value::Blob(_) => Some(ColumnType::Blob),
        }
    }

    /// Whether `value` can be sent in this type exactly: NULL always; an integer as a real
    /// when the real holds it exactly, a real as an integer when it is whole, a text as a
    /// blob (its bytes), 0, 1 and PostgreSQL's boolean words as booleans, anything as text.
    pub fn fits(self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) | (ColumnType::Text, _) => true,
            (ColumnType::Integer, v) => exact_integer(v).is_some(),
            (ColumnType::Real, v) => exact_real(v).is_some(),
            (ColumnType::Blob, v) => matches!(v, Value::Blob(_) | Value::Text(_)),
            (ColumnType::Boolean, v) => exact_bool(v).is_some(),
        }
    }

    /// A column's type from its declaration and the values it has in a result (the first
    /// rule of the module's description).
    pub fn for_values<'a>(
        declared: Option<ColumnType>,
        values: impl IntoIterator<Item = &'a Value> + Clone,
    ) -> ColumnType {
        if let Some(declared) = declared
            && values.clone().into_iter().all(|v| declared.fits(v))
        {
            return declared;
        }
        let mut shared: Option<ColumnType> = None;
        let mut integers_exact_as_reals = true;
        for value in values {
            let Some(this) = ColumnType::of_value(value) else {
                continue;
            };
            if let Value::Integer(_) = value {
                integers_exact_as_reals &= exact_real(value).is_some();
            }
            shared = Some(match (shared, this) {
                (None, this) => this,
                (Some(seen), this) if seen == this => seen,
                (
                    Some(ColumnType::Integer | ColumnType::Real),
                    ColumnType::Integer | ColumnType::Real,
                ) => ColumnType::Real,
                _ => return ColumnType::Text,
            });
        }
        match shared {
            Some(ColumnType::Real) if !integers_exact_as_reals => ColumnType::Text,
            Some(shared) => shared,
            None => declared.unwrap_or(ColumnType::Text),
        }
    }

    /// Every column's type in a result whose values are in hand.
    pub fn for_result(declared: &[Option<ColumnType>], rows: &[Vec<Value>]) -> Vec<ColumnType> {
        declared
            .iter()
            .enumerate()
            .map(|(index, declared)| {
                ColumnType::for_values(*declared, rows.iter().filter_map(move |r| r.get(index)))
            })
            .collect()
    }
}

/// 2^63, exactly: the first double past `i64::MAX`.
const TWO_POW_63: f64 = -(i64::MIN as f64);

/// The value as a 64-bit integer when that is exact (an integer, or a whole real in range).
pub fn exact_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        // -2^63 ..< 2^63: every whole f64 in it converts exactly.
        Value::Real(r) if r.fract() == 0.0 && *r >= -TWO_POW_63 && *r < TWO_POW_63 => {
            Some(*r as i64)
        }
        _ => None,
    }
}

/// The value as a boolean when it is one: the integers 0 and 1, or a text PostgreSQL reads
/// as a boolean (`true`, `f`, `yes`, `off`, ..., as clients that send booleans as text store
/// them).
pub fn exact_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Integer(0) => Some(false),
        Value::Integer(1) => Some(true),
        Value::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
            "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The value as a double when that is exact (a real, or an integer a double holds).
pub fn exact_real(value: &Value) -> Option<f64> {
    match value {
        Value::Real(r) => Some(*r),
        Value::Integer(i) => {
            let r = *i as f64;
            // `as i64` saturates at 2^63 - 1, which no f64 equals: i64::MAX is not exact.
            (r < TWO_POW_63 && r as i64 == *i).then_some(r)
        }
        _ => None,
    }
}

/// A real as text, in SQLite's style (`CAST(x AS TEXT)`: always a decimal point, exponent
/// form below 1e-4 and from 1e17: `3.0`, `2.5`, `1.0e+300`), with the shortest digits that
/// read back as the same double.
pub fn real_text(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Inf" } else { "-Inf" }.into();
    }
    if r == 0.0 {
        return "0.0".into();
    }
    let scientific = format!("{r:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..17).contains(&exponent) {
        return with_point(&format!("{r}"));
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{}e{sign}{:02}", with_point(mantissa), exponent.abs())
}

fn with_point(number: &str) -> String {
    if number.contains('.') {
        number.to_string()
    } else {
        format!("{number}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn declared_types_follow_sqlite_affinity() {
        assert_eq!(ColumnType::declared("INTEGER"), Some(ColumnType::Integer));
        assert_eq!(ColumnType::declared("bigint"), Some(ColumnType::Integer));
        assert_eq!(ColumnType::declared("VARCHAR(20)"), Some(ColumnType::Text));
        assert_eq!(ColumnType::declared("BLOB"), Some(ColumnType::Blob));
        assert_eq!(
            ColumnType::declared("DOUBLE PRECISION"),
            Some(ColumnType::Real)
        );
        assert_eq!(
            ColumnType::declared("NUMERIC(10,2)"),
            Some(ColumnType::Real)
        );
        assert_eq!(ColumnType::declared("BOOLEAN"), Some(ColumnType::Boolean));
        assert_eq!(ColumnType::declared("timestamp"), Some(ColumnType::Text));
        assert_eq!(ColumnType::declared(""), None);
        assert_eq!(ColumnType::declared("whatever"), None);
    }

    #[test]
    fn a_declared_type_stands_while_every_value_fits_it() {
        let ints = [Value::Integer(1), Value::Null, Value::Real(2.0)];
        assert_eq!(
            ColumnType::for_values(Some(ColumnType::Integer), &ints),
            ColumnType::Integer
        );
        let bools = [Value::Integer(0), Value::Integer(1), t("true"), t("F")];
        assert_eq!(
            ColumnType::for_values(Some(ColumnType::Boolean), &bools),
            ColumnType::Boolean
        );
        let bytes = [Value::Blob(vec![0]), t("abc")];
        assert_eq!(
            ColumnType::for_values(Some(ColumnType::Blob), &bytes),
            ColumnType::Blob
        );
        assert_eq!(
            ColumnType::for_values(Some(ColumnType::Real), &[]),
            ColumnType::Real
        );
    }

    #[test]
    fn values_that_do_not_fit_type_the_column_by_what_they_share() {
        let int = Some(ColumnType::Integer);
        let with_real = [Value::Integer(1), Value::Real(2.5)];
        assert_eq!(ColumnType::for_values(int, &with_real), ColumnType::Real);
        let with_text = [Value::Integer(1), t("z")];
        assert_eq!(ColumnType::for_values(int, &with_text), ColumnType::Text);
        let bools = [Value::Integer(0), Value::Integer(2)];
        assert_eq!(
            ColumnType::for_values(Some(ColumnType::Boolean), &bools),
            ColumnType::Integer
        );
        // An integer a double can't hold exactly keeps the column text, not a rounded real.
        let big = [Value::Integer(i64::MAX), Value::Real(0.5)];
        assert_eq!(ColumnType::for_values(None, &big), ColumnType::Text);
        let union = [Value::Integer(1), t("x")];
        assert_eq!(ColumnType::for_values(None, &union), ColumnType::Text);
        assert_eq!(
            ColumnType::for_values(None, &[Value::Null]),
            ColumnType::Text
        );
        assert_eq!(
            ColumnType::for_values(None, &[Value::Blob(vec![1])]),
            ColumnType::Blob
        );
    }

    #[test]
    fn exact_conversions_only() {
        assert_eq!(exact_integer(&Value::Real(2.0)), Some(2));
        assert_eq!(exact_integer(&Value::Real(2.5)), None);
        assert_eq!(exact_integer(&Value::Real(9.3e18)), None);
        assert_eq!(exact_integer(&Value::Real(-TWO_POW_63)), Some(i64::MIN));
        assert_eq!(exact_integer(&t("2")), None);
        assert_eq!(exact_real(&Value::Integer(3)), Some(3.0));
        assert_eq!(exact_real(&Value::Integer((1 << 53) + 1)), None);
        assert_eq!(exact_real(&Value::Integer(i64::MAX)), None);
        assert_eq!(exact_real(&Value::Integer(i64::MIN)), Some(-TWO_POW_63));
    }

    #[test]
    fn reals_as_sqlite_writes_them() {
        for (value, want) in [
            (3.0, "3.0"),
            (2.5, "2.5"),
            (-0.125, "-0.125"),
            (0.1 + 0.2, "0.30000000000000004"),
            (49.47, "49.47"),
            (1e300, "1.0e+300"),
            (1.5e-7, "1.5e-07"),
            (1e16, "10000000000000000.0"),
            (1e17, "1.0e+17"),
            (-0.0, "0.0"),
            (0.0001, "0.0001"),
            (f64::INFINITY, "Inf"),
        ] {
            assert_eq!(real_text(value), want, "{value}");
        }
    }

    #[test]
    fn function_columns_with_fixed_types() {
        assert_eq!(
            ColumnType::of_expression("count(*)"),
            Some(ColumnType::Integer)
        );
        assert_eq!(ColumnType::of_expression("avg(x)"), Some(ColumnType::Real));
        assert_eq!(ColumnType::of_expression("1"), None);
        assert_eq!(ColumnType::of_expression("max(x)"), None);
        assert_eq!(ColumnType::of_expression("n"), None);
    }
}
