//! The random rows of the oracle: every column kind SQLite has, NULLs and duplicates, ids unique
//! across the databases so that the union database holds each row once.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

pub const SCHEMA: &str =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, grp TEXT, cat INTEGER, n INTEGER, x REAL, s TEXT, v)";

const WORDS: &[&str] = &["apple", "pear", "fig", "kiwi", "Apple", "plum"];

/// `rows` random rows as SQL tuples, with ids from `first_id`.
pub fn rows(rng: &mut StdRng, first_id: i64, rows: usize) -> Vec<String> {
    (0..rows)
        .map(|i| {
            let id = first_id + i as i64;
            format!(
                "({id}, {}, {}, {}, {}, {}, {})",
                sometimes_null(rng, |rng| format!(
                    "'{}'",
                    ["a", "b", "c", "A"].choose(rng).unwrap()
                )),
                sometimes_null(rng, |rng| rng.random_range(0..4).to_string()),
                sometimes_null(rng, |rng| rng.random_range(-50..50).to_string()),
                sometimes_null(rng, real),
                sometimes_null(rng, |rng| format!("'{}'", WORDS.choose(rng).unwrap())),
                mixed(rng),
            )
        })
        .collect()
}

fn sometimes_null(rng: &mut StdRng, value: impl FnOnce(&mut StdRng) -> String) -> String {
    if rng.random_bool(0.15) {
        "NULL".into()
    } else {
        value(rng)
    }
}

/// Quarters only: their sums are exact in a double, whatever the order they are added in.
fn real(rng: &mut StdRng) -> String {
    format!("{:?}", f64::from(rng.random_range(-80..80)) / 4.0)
}

/// A value of any type, for the column without one.
fn mixed(rng: &mut StdRng) -> String {
    match rng.random_range(0..7) {
        0 => "NULL".into(),
        1 | 2 => rng.random_range(-5..5).to_string(),
        3 => real(rng),
        4 => format!("'{}'", WORDS.choose(rng).unwrap()),
        5 => format!("'{}'", rng.random_range(0..20)),
        _ => format!("x'0{}'", rng.random_range(1..6)),
    }
}
