//! The shell fed by a program (standard input not a terminal): statements are read line by line
//! and each runs as soon as its `;` arrives (a statement left without one runs at the end of
//! the input). Rows are printed plain (see [`super::render::plain`]); statements without rows
//! print nothing. The first error is printed on standard error and ends the run with status 1.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use ha_types::StatementResult;

use super::connection::{Connection, Outcome};
use super::input::{StatementBuffer, is_exit};
use super::render;

pub fn run(mut connection: Connection, input: impl BufRead, output: impl Write) -> ExitCode {
    let mut output = std::io::BufWriter::new(output);
    let mut buffer = StatementBuffer::new();
    let mut lines = input.lines();
    loop {
        let statements = match lines.next() {
            Some(Ok(line)) => {
                if buffer.is_empty() && is_exit(&line) {
                    break;
                }
                buffer.push_line(&line)
            }
            Some(Err(error)) => {
                let _ = output.flush();
                eprintln!("error: reading standard input: {error}");
                return ExitCode::FAILURE;
            }
            // The end of the input: the rest, once (the buffer is empty after it).
            None => match buffer.finish() {
                Some(rest) => vec![rest],
                None => break,
            },
        };
        for sql in statements {
            if is_exit(&sql) {
                return finish(output);
            }
            match connection.run(&sql, false) {
                Outcome::Done { executed, .. } => {
                    for result in executed.results {
                        if let StatementResult::Rows { columns, rows, .. } = result
                            && output
                                .write_all(render::plain(&columns, &rows).as_bytes())
                                .is_err()
                        {
                            // The reader went away (`| head`): nothing more to say.
                            return ExitCode::FAILURE;
                        }
                    }
                    if output.flush().is_err() {
                        return ExitCode::FAILURE;
                    }
                }
                Outcome::Failed(error) => {
                    let _ = output.flush();
                    eprintln!("{}", render::error_line(&error));
                    return ExitCode::FAILURE;
                }
                Outcome::Cancelled { .. } => return ExitCode::FAILURE,
            }
        }
    }
    finish(output)
}

fn finish(mut output: impl Write) -> ExitCode {
    match output.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
