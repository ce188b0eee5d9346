//! Dates and times sent in the binary protocol (COM_STMT_EXECUTE), as SQLite's ISO-8601 text.

use opensrv_mysql::ValueInner;

/// `2024-01-31`, `2024-01-31 13:45:00[.123456]`, `13:45:00[.123456]` (`-` and days for a
/// negative or long MySQL TIME: `-1 02:03:04`).
pub(crate) fn iso_text(value: ValueInner<'_>) -> String {
    match value {
        ValueInner::Date(b) | ValueInner::Datetime(b) => {
            let year = u16::from_le_bytes([byte(b, 0), byte(b, 1)]);
            let mut text = format!("{year:04}-{:02}-{:02}", byte(b, 2), byte(b, 3));
            if b.len() >= 7 {
                text.push_str(&format!(
                    " {:02}:{:02}:{:02}",
                    byte(b, 4),
                    byte(b, 5),
                    byte(b, 6)
                ));
            }
            if b.len() >= 11 {
                let micros = u32::from_le_bytes([byte(b, 7), byte(b, 8), byte(b, 9), byte(b, 10)]);
                text.push_str(&format!(".{micros:06}"));
            }
            text
        }
        ValueInner::Time(b) => {
            let negative = byte(b, 0) == 1;
            let days = u32::from_le_bytes([byte(b, 1), byte(b, 2), byte(b, 3), byte(b, 4)]);
            let mut text = String::new();
            if negative {
                text.push('-');
            }
            if days > 0 {
                text.push_str(&format!("{days} "));
            }
            text.push_str(&format!(
                "{:02}:{:02}:{:02}",
                byte(b, 5),
                byte(b, 6),
                byte(b, 7)
            ));
            if b.len() >= 12 {
                let micros = u32::from_le_bytes([byte(b, 8), byte(b, 9), byte(b, 10), byte(b, 11)]);
                text.push_str(&format!(".{micros:06}"));
            }
            text
        }
        _ => String::new(),
    }
}

fn byte(bytes: &[u8], at: usize) -> u8 {
    bytes.get(at).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_dates_and_times_read_as_iso_text() {
        assert_eq!(
            iso_text(ValueInner::Date(&[0xe8, 0x07, 1, 31])),
            "2024-01-31"
        );
        assert_eq!(
            iso_text(ValueInner::Datetime(&[0xe8, 0x07, 1, 31, 13, 45, 0])),
            "2024-01-31 13:45:00"
        );
        assert_eq!(
            iso_text(ValueInner::Datetime(&[
                0xe8, 0x07, 1, 31, 13, 45, 0, 0x40, 0xe2, 1, 0
            ])),
            "2024-01-31 13:45:00.123456"
        );
        assert_eq!(
            iso_text(ValueInner::Time(&[0, 0, 0, 0, 0, 13, 45, 0])),
            "13:45:00"
        );
        assert_eq!(
            iso_text(ValueInner::Time(&[1, 1, 0, 0, 0, 2, 3, 4])),
            "-1 02:03:04"
        );
        assert_eq!(iso_text(ValueInner::Date(&[])), "0000-00-00");
    }
}
