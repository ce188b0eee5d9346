use crate::Value;

/// Parameters of one statement: by name (`:name`, `@name`, `$name`) or by position (`?`, `?N`, `$N`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Params {
    #[default]
    None,
    Positional(Vec<Value>),
    /// Names as the client sent them, with or without their prefix.
    Named(Vec<(String, Value)>),
}

/// One SQL text with its parameters. The text may hold several statements separated by `;`: they
/// run in order and the last one's result is returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Params,
}

impl Statement {
    pub fn new(sql: impl Into<String>) -> Self {
        Statement {
            sql: sql.into(),
            params: Params::None,
        }
    }

    pub fn with_params(sql: impl Into<String>, params: Params) -> Self {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}
