//! Rust objects kept by Java as `long`s: boxed here, borrowed by each call, freed once by Java
//! (from a `Cleaner`, when no thread can call with the handle any more).

use std::sync::{Mutex, RwLock};

use ha_ffi::{BlockingClient, BlockingSession, CancelToken, ClientError};

use crate::failure::Failure;

pub fn into_handle<T>(value: T) -> i64 {
    Box::into_raw(Box::new(value)) as i64
}

/// # Safety (of the callers' handles)
/// Java passes only handles this library made with the matching type, and frees each once,
/// after its last use; 0 is "none".
fn borrow<'a, T>(handle: i64) -> Option<&'a T> {
    // SAFETY: see above: a non-zero handle is a live `Box<T>` made by `into_handle`.
    (handle != 0).then(|| unsafe { &*(handle as *const T) })
}

fn free<T>(handle: i64) {
    if handle != 0 {
        // SAFETY: a live `Box<T>` from `into_handle`, freed once (see `borrow`).
        drop(unsafe { Box::from_raw(handle as *mut T) });
    }
}

pub fn client_of<'a>(handle: i64) -> Result<&'a RwLock<BlockingClient>, Failure> {
    borrow(handle).ok_or(Failure::Client(ClientError::Closed))
}

/// The client, shared with other threads' calls (closing takes it alone).
pub fn read_client<'a>(
    handle: i64,
) -> Result<std::sync::RwLockReadGuard<'a, BlockingClient>, Failure> {
    Ok(client_of(handle)?
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner))
}

pub fn lock_session<'a>(
    handle: i64,
) -> Result<std::sync::MutexGuard<'a, BlockingSession>, Failure> {
    Ok(session_of(handle)?
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner))
}

pub fn session_of<'a>(handle: i64) -> Result<&'a Mutex<BlockingSession>, Failure> {
    borrow(handle).ok_or(Failure::Client(ClientError::Closed))
}

pub fn cancel_token<'a>(handle: i64) -> Option<&'a CancelToken> {
    borrow(handle)
}

/// What a blocking call asks while it waits: whether the cancel token `handle` (0: none) was
/// cancelled (`Statement.cancel()`, a query timeout).
pub fn cancelled(handle: i64) -> impl FnMut() -> bool {
    let token = cancel_token(handle);
    move || token.is_some_and(CancelToken::is_cancelled)
}

pub fn free_client(handle: i64) {
    free::<RwLock<BlockingClient>>(handle);
}

pub fn free_session(handle: i64) {
    free::<Mutex<BlockingSession>>(handle);
}

/// A prepared statement's side here: its text (converted once) and the columns last sent.
pub struct Prepared {
    pub statement: ha_ffi::Statement,
    pub columns: crate::values::Columns,
}

pub fn prepared_of<'a>(handle: i64) -> Result<&'a Mutex<Prepared>, Failure> {
    borrow(handle).ok_or(Failure::Client(ClientError::Closed))
}

pub fn free_prepared(handle: i64) {
    free::<Mutex<Prepared>>(handle);
}

pub fn free_cancel(handle: i64) {
    free::<CancelToken>(handle);
}
