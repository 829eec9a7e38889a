//! Pipelining: threads that check the cache at the same time share one round trip.
//!
//! Each caller enqueues its request under one lock. If a lane (one connection) is free
//! it becomes that lane's flusher: it takes what is queued (its own request included),
//! runs the batch outside the lock, files every answer under its request's id and
//! wakes exactly the threads whose answers it filed. While more requests are queued it
//! flushes again (up to [`MAX_ROUNDS`] batches), then frees the lane and wakes one
//! queued caller to take over. A caller whose request went out in someone else's batch
//! sleeps until its answer is filed. So at most one batch a lane is in flight, each
//! answer goes to the request it belongs to, and a failed batch fails every request in
//! it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::thread::Thread;

use kerbgate::{ReplayCacheError, ReplayVerdict};

/// One queued SET NX PX.
#[derive(Debug)]
pub(crate) struct Request {
    id: u64,
    /// The Redis key.
    pub(crate) key: String,
    /// The entry's lifetime in milliseconds.
    pub(crate) ttl_ms: u64,
    /// The caller, woken when its answer is filed.
    caller: Thread,
}

/// Most batches one flusher sends in a row before handing over.
const MAX_ROUNDS: usize = 8;

type Answer = Result<ReplayVerdict, ReplayCacheError>;

#[derive(Default)]
struct State {
    next_id: u64,
    queue: Vec<Request>,
    done: HashMap<u64, Answer>,
    /// Lanes no flusher holds.
    free_lanes: Vec<usize>,
}

/// The queue shared by the threads of one cache.
pub(crate) struct Batcher {
    state: Mutex<State>,
    max_batch: usize,
}

/// Files an error for every request of a batch whose flush unwound, so no caller
/// waits forever and the next caller can flush.
struct Unwind<'a> {
    batcher: &'a Batcher,
    lane: usize,
    batch: Vec<(u64, Thread)>,
    armed: bool,
}

impl Drop for Unwind<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut st = self.batcher.lock();
        for (id, caller) in &self.batch {
            st.done.insert(
                *id,
                Err(ReplayCacheError::Unavailable {
                    reason: "the thread sending this batch to redis panicked".into(),
                }),
            );
            caller.unpark();
        }
        st.free_lanes.push(self.lane);
        if let Some(next) = st.queue.first() {
            next.caller.unpark();
        }
    }
}

impl Batcher {
    /// A queue over `lanes` connections, sending at most `max_batch` requests in one
    /// round trip.
    pub(crate) fn new(lanes: usize, max_batch: usize) -> Self {
        Batcher {
            state: Mutex::new(State {
                free_lanes: (0..lanes.max(1)).rev().collect(),
                ..State::default()
            }),
            max_batch: max_batch.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements; a panic elsewhere cannot
        // leave it half-changed, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues one request and returns its answer, flushing batches (with `flush`) on a
    /// free lane. `flush` gets the lane and the batch and must return one verdict per
    /// request, in order; any other count fails the whole batch.
    pub(crate) fn submit<F>(&self, key: String, ttl_ms: u64, mut flush: F) -> Answer
    where
        F: FnMut(usize, &[Request]) -> Result<Vec<ReplayVerdict>, ReplayCacheError>,
    {
        let me = std::thread::current();
        let mut st = self.lock();
        let id = st.next_id;
        st.next_id = st.next_id.wrapping_add(1);
        st.queue.push(Request {
            id,
            key,
            ttl_ms,
            caller: me.clone(),
        });

        loop {
            if let Some(answer) = st.done.remove(&id) {
                return answer;
            }
            // Our request is queued or in another lane's batch. Flush when something is
            // queued and a lane is free; otherwise sleep until woken (our answer filed,
            // or a lane freed with requests still queued). A stray wake (unpark tokens
            // are per thread) only costs one more look.
            let lane = match st.free_lanes.pop() {
                Some(lane) if !st.queue.is_empty() => lane,
                other => {
                    if let Some(lane) = other {
                        st.free_lanes.push(lane);
                    }
                    drop(st);
                    std::thread::park();
                    st = self.lock();
                    continue;
                }
            };

            for _ in 0..MAX_ROUNDS {
                let n = st.queue.len().min(self.max_batch);
                let batch: Vec<Request> = st.queue.drain(..n).collect();
                drop(st);

                let mut guard = Unwind {
                    batcher: self,
                    lane,
                    batch: batch.iter().map(|r| (r.id, r.caller.clone())).collect(),
                    armed: true,
                };
                let result = flush(lane, &batch);
                guard.armed = false;

                st = self.lock();
                file(&mut st.done, &batch, result);
                for r in &batch {
                    if r.id != id {
                        r.caller.unpark();
                    }
                }
                if st.queue.is_empty() {
                    break;
                }
            }
            st.free_lanes.push(lane);
            // Requests queued past our rounds: their first caller flushes next.
            if let Some(next) = st.queue.first() {
                next.caller.unpark();
            }
        }
    }
}

/// Files one answer a request of `batch`.
fn file(
    done: &mut HashMap<u64, Answer>,
    batch: &[Request],
    result: Result<Vec<ReplayVerdict>, ReplayCacheError>,
) {
    match result {
        Ok(verdicts) if verdicts.len() == batch.len() => {
            for (r, v) in batch.iter().zip(verdicts) {
                done.insert(r.id, Ok(v));
            }
        }
        Ok(verdicts) => {
            let e = ReplayCacheError::Unavailable {
                reason: format!(
                    "redis answered {} replies to a batch of {}; nothing in it is trusted",
                    verdicts.len(),
                    batch.len()
                ),
            };
            for r in batch {
                done.insert(r.id, Err(e.clone()));
            }
        }
        Err(e) => {
            for r in batch {
                done.insert(r.id, Err(e.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A fake server: a set of keys, answering SET NX in order, counting round trips.
    struct Fake {
        keys: Mutex<HashSet<String>>,
        trips: AtomicUsize,
        largest: AtomicUsize,
    }

    impl Fake {
        fn flush(&self, batch: &[Request]) -> Result<Vec<ReplayVerdict>, ReplayCacheError> {
            self.trips.fetch_add(1, Ordering::Relaxed);
            self.largest.fetch_max(batch.len(), Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_micros(200));
            let mut keys = self.keys.lock().unwrap();
            Ok(batch
                .iter()
                .map(|r| {
                    if keys.insert(r.key.clone()) {
                        ReplayVerdict::Fresh
                    } else {
                        ReplayVerdict::Replay
                    }
                })
                .collect())
        }
    }

    #[test]
    fn concurrent_callers_share_round_trips_and_get_their_own_answers() {
        let b = Arc::new(Batcher::new(2, 64));
        let fake = Arc::new(Fake {
            keys: Mutex::new(HashSet::new()),
            trips: AtomicUsize::new(0),
            largest: AtomicUsize::new(0),
        });
        let fresh = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (b, fake, fresh) = (Arc::clone(&b), Arc::clone(&fake), Arc::clone(&fresh));
                std::thread::spawn(move || {
                    for i in 0..500u32 {
                        // Every key is submitted by two threads: exactly one is fresh.
                        let key = format!("k{}-{i}", t / 2);
                        let v = b.submit(key, 1000, |_, batch| fake.flush(batch)).unwrap();
                        if v == ReplayVerdict::Fresh {
                            fresh.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(fresh.load(Ordering::Relaxed), 4 * 500);
        let trips = fake.trips.load(Ordering::Relaxed);
        assert!(trips < 8 * 500, "no batching: {trips} round trips");
        assert!(fake.largest.load(Ordering::Relaxed) > 1);
    }

    #[test]
    fn a_failed_batch_fails_every_request_in_it() {
        let b = Batcher::new(1, 8);
        let e = b
            .submit("k".into(), 1, |_, _| {
                Err(ReplayCacheError::Unavailable {
                    reason: "down".into(),
                })
            })
            .unwrap_err();
        assert_eq!(e.to_string(), "replay cache unavailable: down");
        // A short reply fails the batch rather than shifting answers.
        let e = b.submit("k".into(), 1, |_, _| Ok(vec![])).unwrap_err();
        assert!(e.to_string().contains("0 replies to a batch of 1"), "{e}");
        // The queue is usable afterwards.
        let v = b.submit("k".into(), 1, |_, r| {
            Ok(vec![ReplayVerdict::Fresh; r.len()])
        });
        assert_eq!(v, Ok(ReplayVerdict::Fresh));
    }

    #[test]
    fn a_panicking_flush_does_not_strand_the_queue() {
        let b = Arc::new(Batcher::new(1, 8));
        let b2 = Arc::clone(&b);
        let r = std::thread::spawn(move || b2.submit("k".into(), 1, |_, _| panic!("boom"))).join();
        assert!(r.is_err());
        let v = b.submit("j".into(), 1, |_, r| {
            Ok(vec![ReplayVerdict::Fresh; r.len()])
        });
        assert_eq!(v, Ok(ReplayVerdict::Fresh));
    }
}
