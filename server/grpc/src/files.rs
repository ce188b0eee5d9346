//! A file (a backup or a snapshot) as a stream of `FileChunk`s; the first carries the size,
//! the database and, for a snapshot, the log sequence.

use std::pin::Pin;

use futures::Stream;
use ha_proto::v1;
use ha_server_api::Backup;
use tokio::io::AsyncReadExt;
use tonic::Status;

/// Chunks of 256 KiB: well under gRPC's default 4 MiB message limit.
const CHUNK: usize = 256 << 10;

pub(crate) type FileStream = Pin<Box<dyn Stream<Item = Result<v1::FileChunk, Status>> + Send>>;

pub(crate) fn chunks(backup: Backup) -> FileStream {
    let file = tokio::fs::File::from_std(backup.file);
    let first = Some((backup.len, backup.database, backup.seq));
    Box::pin(futures::stream::unfold(
        (file, first, false),
        |(mut file, first, done)| async move {
            if done {
                return None;
            }
            let mut data = vec![0u8; CHUNK];
            let mut filled = 0;
            while filled < CHUNK {
                match file.read(&mut data[filled..]).await {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) => {
                        tracing::error!(error = %e, "reading a file to stream");
                        return Some((
                            Err(Status::internal(
                                "reading the file failed; see the node's log",
                            )),
                            (file, None, true),
                        ));
                    }
                }
            }
            data.truncate(filled);
            let ended = filled < CHUNK;
            if filled == 0 && first.is_none() {
                return None;
            }
            let chunk = match first {
                Some((size, database, seq)) => v1::FileChunk {
                    data,
                    size: Some(size),
                    database,
                    seq,
                },
                None => v1::FileChunk {
                    data,
                    ..Default::default()
                },
            };
            Some((Ok(chunk), (file, None, ended)))
        },
    ))
}
