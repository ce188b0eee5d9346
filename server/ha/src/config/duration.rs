//! Durations as users write them (`15s`, `1h30m`): the core's one parser, shared with the
//! `HISTORY '5m'` / `UNDO '10m'` commands.

pub use ha_types::duration::{format_duration, parse_duration};
