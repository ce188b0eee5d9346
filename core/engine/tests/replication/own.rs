//! This node's own change sets coming back from the log: consumed by their ids, counted as
//! applied at the writer's commit, taken by a passing writer, cleared from the outbox.

use super::*;

/// The log's entries after `from` as `db`'s own change sets known by their ids, on a log only
/// `db` wrote to: one change set per entry, its id the entry's sequence.
fn own_entries(log: &MemoryLog, db: &Database, from: u64) -> Vec<ha_core::OwnEntry> {
    let origin = db.own_origin().unwrap().to_string();
    log.entries(from)
        .into_iter()
        .map(|entry| ha_core::OwnEntry {
            seq: entry.seq,
            origin: origin.clone(),
            first_id: entry.seq,
            last_id: entry.seq,
        })
        .collect()
}

/// Own change sets coming back known only by their ids settle as the change sets themselves
/// do (their rows stop being pending); ids out of turn or of another origin are declined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_change_sets_known_by_their_ids_settle_without_being_read() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    run(&a, "INSERT INTO kv VALUES (1, 'from a')").await;
    catch_up(&b, "b", &log).await;
    let origin = a.own_origin().unwrap().to_string();
    let entry = |seq, first_id, last_id, origin: &str| ha_core::OwnEntry {
        seq,
        origin: origin.to_string(),
        first_id,
        last_id,
    };
    let declined = [
        vec![entry(1, 2, 2, &origin)],
        vec![entry(1, 1, 1, "someone-else")],
        vec![entry(1, 1, 3, &origin)],
    ];
    for entries in declined {
        assert_eq!(
            a.consume_own("a", entries.clone()).await.unwrap(),
            None,
            "{entries:?}"
        );
    }
    let entries = vec![entry(1, 1, 1, &origin), entry(2, 2, 2, &origin)];
    assert_eq!(a.consume_own("a", entries).await.unwrap(), Some(2));
    // a's row is no longer pending: b's later change applies on a.
    run(&b, "UPDATE kv SET v = 'from b' WHERE k = 1").await;
    catch_up(&a, "a", &log).await;
    assert_eq!(rows(&a, "SELECT * FROM kv").await, kv_rows("from b"));
}

/// A consumer hears the writer's answer only when it hands the next batch: the applied
/// position moves at the writer's commit, so a read waiting for it (read-your-writes) does not
/// wait for the answer to be heard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_counts_as_applied_at_its_commit_before_its_answer_is_heard() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    run(&a, "INSERT INTO kv VALUES (1, 'from a')").await;
    let entries = log.entries(0);
    let last = entries.last().unwrap().seq;
    let pending = b.start_apply("b", entries).unwrap();
    b.wait_applied(last, Duration::from_secs(30)).await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM kv").await, kv_rows("from a"));
    assert_eq!(b.finish_apply(pending).await.unwrap(), last);

    let own = own_entries(&log, &a, 0);
    let pending = a.start_consume_own("a", own).unwrap().unwrap();
    a.wait_applied(last, Duration::from_secs(30)).await.unwrap();
    assert_eq!(a.finish_consume_own(pending).await.unwrap(), Some(last));
}

/// Own change sets coming back are left for the writer to take when it next passes by (a
/// write), without waking it for them; a read waiting for their position wakes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_change_sets_are_taken_by_a_passing_writer_or_for_a_waiting_read() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    let own = |from: u64| own_entries(&log, &a, from);
    run(&a, "INSERT INTO kv VALUES (1, 'one')").await;
    let pending = a.start_consume_own("a", own(0)).unwrap().unwrap();
    // The next write passes by: the position moved with it, nobody had to wake the writer.
    run(&a, "INSERT INTO kv VALUES (2, 'two')").await;
    a.wait_applied(2, Duration::ZERO).await.unwrap();
    assert_eq!(a.finish_consume_own(pending).await.unwrap(), Some(2));
    // Nothing passes by now: a read waiting for the position wakes the writer, well before
    // the idle writer's housekeeping tick (200 ms) would have taken it.
    let pending = a.start_consume_own("a", own(2)).unwrap().unwrap();
    a.wait_applied(3, Duration::from_millis(100)).await.unwrap();
    assert_eq!(a.finish_consume_own(pending).await.unwrap(), Some(3));
    // And a consumer that needs the answer before the writer passed by wakes it too.
    run(&a, "INSERT INTO kv VALUES (3, 'three')").await;
    let pending = a.start_consume_own("a", own(3)).unwrap().unwrap();
    let heard = tokio::time::timeout(Duration::from_millis(100), a.finish_consume_own(pending));
    assert_eq!(heard.await.unwrap().unwrap(), Some(4));
}

/// Own change sets consumed back leave the outbox: under a steady load a few hundred at a time
/// (deleting each group's few rows rewrote the same pages at every commit), and all of them
/// once the writer is idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumed_change_sets_leave_the_outbox_in_bulk_and_all_when_idle() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    run(&a, "CREATE TABLE t(id INTEGER PRIMARY KEY)").await;
    let outbox = || async {
        match rows(&a, "SELECT count(*) FROM _ha_outbox").await[0][0] {
            Value::Integer(n) => n,
            ref other => panic!("{other:?}"),
        }
    };
    let mut most = 0;
    for i in 0..600 {
        run(&a, &format!("INSERT INTO t VALUES ({i})")).await;
        catch_up(&a, "a", &log).await;
        most = most.max(outbox().await);
    }
    assert!(most <= 257, "{most} consumed rows kept in the outbox");
    let idle = tokio::time::timeout(Duration::from_secs(10), async {
        while outbox().await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    assert!(
        idle.await.is_ok(),
        "an idle writer left consumed rows in the outbox"
    );
}
