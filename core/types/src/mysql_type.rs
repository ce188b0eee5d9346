//! A column's declared type as MySQL describes it (`information_schema.COLUMNS`, `SHOW
//! COLUMNS`, `SHOW CREATE TABLE`): the declared text lower-cased, its base name, and the
//! lengths and precisions MySQL derives from it. SQLite keeps a column's type as written, so
//! this only reads that text; a column declared without a type is a `blob` (it holds anything).

use crate::Value;

/// MySQL's description of one declared type.
#[derive(Debug, Clone, PartialEq)]
pub struct MysqlType {
    /// `COLUMN_TYPE`: the declared type lower-cased (`varchar(50)`, `int unsigned`).
    pub column_type: String,
    /// `DATA_TYPE`: its name alone (`varchar`, `int`).
    pub data_type: String,
    pub character_maximum_length: Option<i64>,
    pub character_octet_length: Option<i64>,
    pub numeric_precision: Option<i64>,
    pub numeric_scale: Option<i64>,
    pub datetime_precision: Option<i64>,
    /// Text types' character set and collation (`utf8mb4`, the server's default).
    pub is_text: bool,
}

const TEXT_LENGTHS: [(&str, i64); 8] = [
    ("tinytext", 255),
    ("text", 65_535),
    ("mediumtext", 16_777_215),
    ("longtext", 4_294_967_295),
    ("tinyblob", 255),
    ("blob", 65_535),
    ("mediumblob", 16_777_215),
    ("longblob", 4_294_967_295),
];

/// Bytes per character of utf8mb4, the character set text columns report.
const UTF8MB4_BYTES: i64 = 4;

impl MysqlType {
    pub fn of(declared: &str) -> MysqlType {
        let column_type = declared
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let column_type = if column_type.is_empty() {
            "blob".to_string()
        } else {
            column_type
        };
        let (name, arguments) = match column_type.split_once('(') {
            Some((name, rest)) => (name, rest.split(')').next().unwrap_or_default()),
            None => (column_type.as_str(), ""),
        };
        let data_type = name
            .split_whitespace()
            .filter(|w| !matches!(*w, "unsigned" | "signed" | "zerofill"))
            .collect::<Vec<_>>()
            .join(" ");
        let numbers: Vec<i64> = arguments
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        let first = numbers.first().copied();
        let mut described = MysqlType {
            data_type: data_type.clone(),
            column_type: column_type.clone(),
            character_maximum_length: None,
            character_octet_length: None,
            numeric_precision: None,
            numeric_scale: None,
            datetime_precision: None,
            is_text: false,
        };
        match data_type.as_str() {
            "char" | "character" | "nchar" | "varchar" | "character varying" | "nvarchar"
            | "varchar2" | "nvarchar2" | "varying character" | "native character" => {
                let length = first.unwrap_or(if data_type.contains("var") { 65_535 } else { 1 });
                described.character_maximum_length = Some(length);
                described.character_octet_length = Some(length * UTF8MB4_BYTES);
                described.is_text = true;
            }
            "binary" | "varbinary" => {
                described.character_maximum_length = Some(first.unwrap_or(1));
                described.character_octet_length = Some(first.unwrap_or(1));
            }
            "enum" | "set" | "json" | "clob" => described.is_text = data_type != "json",
            "tinyint" => described.numeric_precision = Some(3),
            "smallint" | "int2" => described.numeric_precision = Some(5),
            "mediumint" => described.numeric_precision = Some(7),
            "int" | "integer" | "int4" => described.numeric_precision = Some(10),
            "bigint" | "int8" => described.numeric_precision = Some(19),
            "decimal" | "numeric" | "dec" | "fixed" => {
                described.numeric_precision = Some(first.unwrap_or(10));
                described.numeric_scale = Some(numbers.get(1).copied().unwrap_or(0));
            }
            "float" | "float4" => described.numeric_precision = Some(first.unwrap_or(12)),
            "double" | "double precision" | "real" | "float8" => {
                described.numeric_precision = Some(first.unwrap_or(22));
            }
            "datetime" | "timestamp" | "time" => {
                described.datetime_precision = Some(first.unwrap_or(0));
            }
            "bit" => described.numeric_precision = Some(first.unwrap_or(1)),
            other => {
                if let Some((_, length)) = TEXT_LENGTHS.iter().find(|(n, _)| *n == other) {
                    described.character_maximum_length = Some(*length);
                    described.character_octet_length = Some(*length);
                    described.is_text = other.ends_with("text");
                }
            }
        }
        if described.numeric_precision.is_some()
            && described.numeric_scale.is_none()
            && !matches!(
                data_type.as_str(),
                "float" | "float4" | "double" | "double precision" | "real" | "float8" | "bit"
            )
        {
            described.numeric_scale = Some(0);
        }
        described
    }

    /// One of its fields by its `information_schema.COLUMNS` name (lower-case), for SQL.
    pub fn field(&self, name: &str) -> Value {
        let number = |n: Option<i64>| n.map_or(Value::Null, Value::Integer);
        let text_only = |t: &str| {
            if self.is_text {
                Value::Text(t.to_string())
            } else {
                Value::Null
            }
        };
        match name {
            "column_type" => Value::Text(self.column_type.clone()),
            "data_type" => Value::Text(self.data_type.clone()),
            "character_maximum_length" => number(self.character_maximum_length),
            "character_octet_length" => number(self.character_octet_length),
            "numeric_precision" => number(self.numeric_precision),
            "numeric_scale" => number(self.numeric_scale),
            "datetime_precision" => number(self.datetime_precision),
            "character_set_name" => text_only("utf8mb4"),
            "collation_name" => text_only("utf8mb4_0900_ai_ci"),
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_as_mysql_describes_them() {
        let varchar = MysqlType::of("VARCHAR(50)");
        assert_eq!(varchar.column_type, "varchar(50)");
        assert_eq!(varchar.data_type, "varchar");
        assert_eq!(varchar.character_maximum_length, Some(50));
        assert_eq!(varchar.character_octet_length, Some(200));
        assert_eq!(
            varchar.field("collation_name"),
            Value::Text("utf8mb4_0900_ai_ci".into())
        );

        let decimal = MysqlType::of("DECIMAL(10, 2)");
        assert_eq!(
            (decimal.numeric_precision, decimal.numeric_scale),
            (Some(10), Some(2))
        );

        let int = MysqlType::of("int  unsigned");
        assert_eq!(
            (int.column_type.as_str(), int.data_type.as_str()),
            ("int unsigned", "int")
        );
        assert_eq!(
            (int.numeric_precision, int.numeric_scale),
            (Some(10), Some(0))
        );
        assert_eq!(int.field("character_set_name"), Value::Null);

        let double = MysqlType::of("DOUBLE PRECISION");
        assert_eq!(double.data_type, "double precision");
        assert_eq!(
            (double.numeric_precision, double.numeric_scale),
            (Some(22), None)
        );

        assert_eq!(MysqlType::of("").column_type, "blob");
        assert_eq!(MysqlType::of("TEXT").character_maximum_length, Some(65_535));
        assert_eq!(MysqlType::of("datetime(3)").datetime_precision, Some(3));
        assert_eq!(MysqlType::of("date").datetime_precision, None);
        assert_eq!(MysqlType::of("something odd(").data_type, "something odd");
    }
}
