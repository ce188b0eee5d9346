//! The child's output: read line by line, forwarded to `tracing` (target `nats-server`) when
//! the operator asked for the server's log, and always kept as a short tail so that a failed
//! start or an unexpected exit can say what the server said last.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::task::JoinHandle;
use tracing::Level;

/// How many of the server's last lines we keep.
const TAIL_LINES: usize = 20;

/// The server's last lines, shared between the readers and the supervisor.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogTail {
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl LogTail {
    fn push(&self, line: String) {
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// Forgets what an earlier process said.
    pub(crate) fn clear(&self) {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The last `count` lines, each on its own line after a newline (empty when there are none),
    /// ready to end an error message.
    pub(crate) fn render(&self, count: usize) -> String {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let skip = lines.len().saturating_sub(count);
        lines
            .iter()
            .skip(skip)
            .map(|line| format!("\n  {line}"))
            .collect()
    }
}

/// Starts a task that reads `stream` to its end.
pub(crate) fn forward<R>(stream: R, show: bool, tail: LogTail, pid: u32) -> JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buffer);
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            let (level, message) = parse_line(line);
            if show {
                emit(level, pid, message);
            }
            tail.push(message.to_string());
        }
    })
}

fn emit(level: Level, pid: u32, message: &str) {
    match level {
        Level::ERROR => tracing::error!(target: "nats-server", pid, "{message}"),
        Level::WARN => tracing::warn!(target: "nats-server", pid, "{message}"),
        Level::INFO => tracing::info!(target: "nats-server", pid, "{message}"),
        Level::DEBUG => tracing::debug!(target: "nats-server", pid, "{message}"),
        Level::TRACE => tracing::trace!(target: "nats-server", pid, "{message}"),
    }
}

/// Splits a server log line, `[1234] 2025/01/02 03:04:05.123456 [INF] Starting nats-server`,
/// into its level and message; a line in another shape is an INFO message as it is.
pub(crate) fn parse_line(line: &str) -> (Level, &str) {
    const LEVELS: [(&str, Level); 6] = [
        ("[INF] ", Level::INFO),
        ("[WRN] ", Level::WARN),
        ("[ERR] ", Level::ERROR),
        ("[FTL] ", Level::ERROR),
        ("[DBG] ", Level::DEBUG),
        ("[TRC] ", Level::TRACE),
    ];
    // The level tag follows the pid, date and time; look for it only near the start, so a
    // message that quotes a tag is not misread.
    let head_end = line
        .char_indices()
        .nth(48)
        .map_or(line.len(), |(index, _)| index);
    for (tag, level) in LEVELS {
        if let Some(at) = line[..head_end].find(tag) {
            return (level, &line[at + tag.len()..]);
        }
        // A tag at the very end has no trailing space ("[INF]" before an empty message).
        if line.ends_with(tag.trim_end()) && line.len() <= head_end {
            return (level, "");
        }
    }
    (Level::INFO, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_level_and_message() {
        let line = "[4464] 2026/11/26 04:29:53.274864 [INF] Listening for client connections on 127.0.0.1:38079";
        assert_eq!(
            parse_line(line),
            (
                Level::INFO,
                "Listening for client connections on 127.0.0.1:38079"
            )
        );
        let line = "[1] 2026/11/26 04:29:53.271826 [WRN] Plaintext passwords detected";
        assert_eq!(
            parse_line(line),
            (Level::WARN, "Plaintext passwords detected")
        );
        let line = "[1] 2026/11/26 04:29:53.271826 [FTL] listen tcp 0.0.0.0:4222: bind: address already in use";
        assert_eq!(parse_line(line).0, Level::ERROR);
        let line = "[1] 2026/11/26 04:29:53.272727 [INF]";
        assert_eq!(parse_line(line), (Level::INFO, ""));
    }

    #[test]
    fn other_lines_are_kept_whole() {
        assert_eq!(
            parse_line("nats-server: config error"),
            (Level::INFO, "nats-server: config error")
        );
        let quoted = "a plain line of text that names no level until well past here: [ERR] x";
        assert_eq!(parse_line(quoted), (Level::INFO, quoted));
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        let tail = LogTail::default();
        assert_eq!(tail.render(5), "");
        for n in 0..30 {
            tail.push(format!("line {n}"));
        }
        assert_eq!(tail.render(2), "\n  line 28\n  line 29");
        tail.clear();
        assert_eq!(tail.render(2), "");
    }
}
