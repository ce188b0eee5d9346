//! Random SELECTs over the oracle's table `t`, with what their answers may be compared on: the
//! order when the query fixes it, and the columns that concatenate values (whose parts come in
//! any order).

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};

pub struct Query {
    /// The query without the hint (run on the union database).
    pub sql: String,
    /// The query with the hint (run across the databases).
    pub hinted: String,
    pub check: Check,
}

pub struct Check {
    /// Output columns holding `group_concat`/`string_agg` strings, with their separators.
    pub concatenated: Vec<(usize, &'static str)>,
    pub order: Order,
}

pub enum Order {
    /// Compared as multisets of rows.
    Unordered,
    /// Multisets of rows, and the same sequence of these output columns.
    Keys(Vec<usize>),
    /// Row by row.
    Total,
}

const HINT: &str = r"/*+ db=db[0-9]+\.db */";

const WHERE: &[&str] = &[
    "n > 0",
    "x < 3",
    "grp IN ('a', 'b')",
    "s IS NOT NULL",
    "v IS NULL OR typeof(v) = 'integer'",
    "cat = 1 OR n < -10",
    "id % 3 = 0",
    "n BETWEEN -10 AND 10",
];

/// Expressions without aggregates, with the column name SQLite gives them when it is a plain
/// name (usable in ORDER BY).
const PLAIN: &[(&str, Option<&str>)] = &[
    ("id", Some("id")),
    ("grp", Some("grp")),
    ("cat", Some("cat")),
    ("n", Some("n")),
    ("x", Some("x")),
    ("s", Some("s")),
    ("v", Some("v")),
    ("n * 2", None),
    ("upper(s)", None),
    ("coalesce(n, x)", None),
    ("length(s)", None),
    ("typeof(v)", None),
    ("n + x", None),
];

const HIDDEN_ORDER: &[&str] = &["id", "x", "n % 5", "s", "v"];

const GROUP_KEYS: &[&str] = &["grp", "cat", "n % 3", "typeof(v)", "x > 0"];

const AGGREGATED_COLUMNS: &[&str] = &["n", "x", "v", "s", "grp", "id", "cat"];

/// One select-list entry being built.
struct Column {
    /// The expression, before any alias.
    base: String,
    text: String,
    /// How ORDER BY may name it (alias or plain name); `None`: by position only.
    name: Option<String>,
    concatenated: Option<&'static str>,
}

pub fn random(rng: &mut StdRng) -> Query {
    if rng.random_bool(0.55) {
        aggregated(rng)
    } else {
        plain(rng)
    }
}

fn plain(rng: &mut StdRng) -> Query {
    let distinct = rng.random_bool(0.2);
    let count = rng.random_range(1..=4);
    let mut columns: Vec<Column> = PLAIN
        .choose_multiple(rng, count)
        .map(|(text, name)| Column {
            base: text.to_string(),
            text: text.to_string(),
            name: name.map(str::to_string),
            concatenated: None,
        })
        .collect();
    alias_some(rng, &mut columns);
    let mut terms = Vec::new();
    let mut keys = Some(Vec::new());
    if rng.random_bool(0.6) {
        for _ in 0..rng.random_range(1..=2) {
            if !distinct && rng.random_bool(0.25) {
                terms.push(format!(
                    "{}{}",
                    HIDDEN_ORDER.choose(rng).unwrap(),
                    direction(rng)
                ));
                keys = None;
            } else {
                let index = rng.random_range(0..columns.len());
                terms.push(format!(
                    "{}{}",
                    reference(rng, &columns, index),
                    direction(rng)
                ));
                if let Some(keys) = keys.as_mut() {
                    keys.push(index);
                }
            }
        }
    }
    let limit = rng.random_bool(0.3).then(|| limit(rng));
    if limit.is_some() {
        // Ties on every output column are equal rows: the answer is then fixed.
        terms.extend((1..=columns.len()).map(|p| p.to_string()));
    }
    let filter = rng.random_bool(0.4).then(|| *WHERE.choose(rng).unwrap());
    let order = order_of(&terms, limit.is_some(), keys);
    build(
        rng, distinct, &columns, filter, None, None, &terms, limit, order,
    )
}

fn aggregated(rng: &mut StdRng) -> Query {
    let key_count = rng.random_range(0..=2);
    let keys: Vec<&str> = GROUP_KEYS
        .choose_multiple(rng, key_count)
        .copied()
        .collect();
    let limit = rng.random_bool(0.25).then(|| limit(rng));
    let mut columns = Vec::new();
    for key in &keys {
        // With LIMIT every key is shown, so that ordering by all of them fixes the answer.
        if limit.is_some() || rng.random_bool(0.8) {
            let name = (!key.contains(' ') && !key.contains('(')).then(|| key.to_string());
            columns.push(Column {
                base: key.to_string(),
                text: key.to_string(),
                name,
                concatenated: None,
            });
        }
    }
    let key_columns = columns.len();
    for _ in 0..rng.random_range(1..=3) {
        columns.push(aggregate(rng));
    }
    columns.shuffle(rng);
    alias_some(rng, &mut columns);
    let having = (rng.random_bool(0.3)).then(|| having(rng, &keys, &columns));
    let orderable: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].concatenated.is_none())
        .collect();
    let mut terms = Vec::new();
    let mut order_keys = Some(Vec::new());
    if rng.random_bool(0.6) {
        for _ in 0..rng.random_range(1..=2) {
            if rng.random_bool(0.3) {
                let expression = ["count(*)", "sum(n)", "max(x)", "min(s)", "avg(n)"]
                    .choose(rng)
                    .unwrap();
                terms.push(format!("{}{}", cased(rng, expression), direction(rng)));
                order_keys = None;
            } else if let Some(&index) = orderable.choose(rng) {
                terms.push(format!(
                    "{}{}",
                    reference(rng, &columns, index),
                    direction(rng)
                ));
                if let Some(keys) = order_keys.as_mut() {
                    keys.push(index);
                }
            }
        }
    }
    if limit.is_some() && !keys.is_empty() {
        // One row per group: ordering by every key fixes the answer.
        let key_positions = (0..columns.len())
            .filter(|&i| keys.iter().any(|k| columns[i].base == *k))
            .map(|i| (i + 1).to_string());
        terms.extend(key_positions);
        debug_assert_eq!(key_columns, keys.len());
    }
    let distinct = rng.random_bool(0.15);
    let filter = rng.random_bool(0.4).then(|| *WHERE.choose(rng).unwrap());
    let total = limit.is_some() || keys.is_empty();
    let order = order_of(&terms, total, order_keys);
    let group_by = (!keys.is_empty()).then(|| keys.join(", "));
    build(
        rng, distinct, &columns, filter, group_by, having, &terms, limit, order,
    )
}

fn aggregate(rng: &mut StdRng) -> Column {
    let column = *AGGREGATED_COLUMNS.choose(rng).unwrap();
    let (text, concatenated) = match rng.random_range(0..14) {
        0 => ("count(*)".to_string(), None),
        1..=6 => {
            let function = ["count", "sum", "total", "avg", "min", "max"]
                .choose(rng)
                .unwrap();
            (format!("{function}({column})"), None)
        }
        7 => (format!("group_concat({column})"), Some(",")),
        8 => (format!("group_concat({column}, '|')"), Some("|")),
        9 => (format!("string_agg({column}, ';')"), Some(";")),
        _ => (
            [
                "sum(n) + count(*)",
                "round(avg(x), 2)",
                "max(n) - min(n)",
                "coalesce(max(s), 'none')",
                "total(x) * 2",
                "count(*) FILTER (WHERE n > 0)",
                "avg(n) FILTER (WHERE x < 0)",
                "sum(x) / count(x)",
            ]
            .choose(rng)
            .unwrap()
            .to_string(),
            None,
        ),
    };
    let text = cased(rng, &text);
    Column {
        base: text.clone(),
        text,
        name: None,
        concatenated,
    }
}

fn having(rng: &mut StdRng, keys: &[&str], columns: &[Column]) -> String {
    let mut choices = vec![
        "count(*) > 1".to_string(),
        "sum(n) IS NOT NULL".to_string(),
        "max(x) > 0 AND count(*) >= 2".to_string(),
        "min(n) < 0 OR total(x) > 5".to_string(),
    ];
    if keys.contains(&"grp") {
        choices.push("grp <> 'b'".into());
        choices.push("count(*) > 1 AND grp IS NOT NULL".into());
    }
    if keys.contains(&"cat") {
        choices.push("cat BETWEEN 1 AND 2 AND avg(n) > -20".into());
    }
    // A result alias, resolved after the merge.
    if let Some(alias) = columns
        .iter()
        .filter(|c| c.base.contains('('))
        .find_map(|c| c.name.clone())
    {
        choices.push(format!("{alias} IS NOT NULL"));
    }
    let chosen = choices.choose(rng).unwrap().clone();
    cased(rng, &chosen)
}

/// Gives some columns an alias, with or without AS.
fn alias_some(rng: &mut StdRng, columns: &mut [Column]) {
    for (i, column) in columns.iter_mut().enumerate() {
        if rng.random_bool(0.3) {
            let alias = format!("c{i}");
            let spelled = if rng.random_bool(0.5) { " AS " } else { " " };
            column.text = format!("{}{spelled}{alias}", column.text);
            column.name = Some(alias);
        }
    }
}

/// How an ORDER BY term names column `index`: its position, or its name when it has one.
fn reference(rng: &mut StdRng, columns: &[Column], index: usize) -> String {
    match &columns[index].name {
        Some(name) if rng.random_bool(0.6) => name.clone(),
        _ => (index + 1).to_string(),
    }
}

fn direction(rng: &mut StdRng) -> String {
    let way = ["", " ASC", " DESC"].choose(rng).unwrap();
    let nulls = ["", "", " NULLS FIRST", " NULLS LAST"].choose(rng).unwrap();
    format!("{way}{nulls}")
}

fn limit(rng: &mut StdRng) -> String {
    let count = rng.random_range(0..8);
    let offset = rng.random_range(0..5);
    match rng.random_range(0..3) {
        0 => format!("LIMIT {count}"),
        1 => format!("LIMIT {count} OFFSET {offset}"),
        _ => format!("LIMIT {offset}, {count}"),
    }
}

/// The function names of `text` in a random letter case (SQL is case-blind there).
fn cased(rng: &mut StdRng, text: &str) -> String {
    let mut out = text.to_string();
    for function in [
        "count",
        "sum",
        "total",
        "avg",
        "min",
        "max",
        "group_concat",
        "string_agg",
    ] {
        let spelled = match rng.random_range(0..3) {
            0 => function.to_string(),
            1 => function.to_ascii_uppercase(),
            _ => {
                let mut chars = function.chars();
                chars.next().map_or_else(String::new, |c| {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                })
            }
        };
        out = out.replace(&format!("{function}("), &format!("{spelled}("));
    }
    out
}

fn order_of(terms: &[String], total: bool, keys: Option<Vec<usize>>) -> Order {
    if total {
        Order::Total
    } else if terms.is_empty() {
        Order::Unordered
    } else {
        match keys {
            Some(keys) => Order::Keys(keys),
            None => Order::Unordered,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    rng: &mut StdRng,
    distinct: bool,
    columns: &[Column],
    filter: Option<&str>,
    group_by: Option<String>,
    having: Option<String>,
    terms: &[String],
    limit: Option<String>,
    order: Order,
) -> Query {
    let select = format!(
        "SELECT {}{}",
        if distinct { "DISTINCT " } else { "" },
        columns
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut rest = " FROM t".to_string();
    if let Some(filter) = filter {
        rest.push_str(&format!(" WHERE {filter}"));
    }
    if let Some(group_by) = group_by {
        rest.push_str(&format!(" GROUP BY {group_by}"));
    }
    if let Some(having) = having {
        rest.push_str(&format!(" HAVING {having}"));
    }
    if !terms.is_empty() {
        rest.push_str(&format!(" ORDER BY {}", terms.join(", ")));
    }
    if let Some(limit) = limit {
        rest.push_str(&format!(" {limit}"));
    }
    let hinted = match rng.random_range(0..3) {
        0 => format!("{HINT} {select}{rest}"),
        1 => format!("{select} {HINT}{rest}"),
        _ => format!("{select}{rest} {HINT}"),
    };
    Query {
        sql: format!("{select}{rest}"),
        hinted,
        check: Check {
            concatenated: columns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.concatenated.map(|sep| (i, sep)))
                .collect(),
            order,
        },
    }
}
