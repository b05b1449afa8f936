//! The run loop: pop the earliest event, hand it to the handler, repeat.

use super::{EventQueue, SimDuration, SimTime};

/// Reacts to events. The dataflow `World` is the one production implementation.
pub trait Handler<E> {
    /// Processes one event at `cx.now()`; may schedule later events through `cx`.
    fn handle(&mut self, event: E, cx: &mut Ctx<'_, E>);
}

/// What a handler may do while processing one event: read the clock and schedule events at or
/// after it. Scheduling into the past is impossible because `SimDuration` is non-negative.
pub struct Ctx<'q, E> {
    now: SimTime,
    queue: &'q mut EventQueue<E>,
}

impl<E> Ctx<'_, E> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// Schedules `event` at `at`, which must not be in the past.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        debug_assert!(
            at >= self.now,
            "scheduling into the past: {at:?} < {:?}",
            self.now
        );
        self.queue.push(at.max(self.now), event);
    }
}

/// A simulation clock with its pending events.
pub struct Engine<E> {
    now: SimTime,
    queue: EventQueue<E>,
    processed: u64,
}

impl<E> Default for Engine<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Engine<E> {
    /// An engine at time zero with nothing scheduled.
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    /// An engine whose queue holds `capacity` events before reallocating.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(capacity),
            processed: 0,
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events handled so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Schedules `event` at absolute time `at` (not before now); used to seed initial events.
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        self.queue.push(at.max(self.now), event);
    }

    /// Read-only access to pending events, for end-of-run accounting.
    pub fn queue(&self) -> &EventQueue<E> {
        &self.queue
    }

    /// Processes every event due at or before `horizon`, then parks the clock at `horizon`.
    pub fn run_until(&mut self, horizon: SimTime, world: &mut impl Handler<E>) {
        self.run_until_or_after(horizon, u64::MAX, world);
    }

    /// Like [`run_until`](Self::run_until), but stops once `events` events have been handled
    /// in this call; returns whether `horizon` was reached (the clock is then parked there).
    /// Lets a caller look at the world every so many events (progress, the memory budget)
    /// however dense or sparse the events are in simulated time.
    pub fn run_until_or_after(
        &mut self,
        horizon: SimTime,
        events: u64,
        world: &mut impl Handler<E>,
    ) -> bool {
        let limit = self.processed.saturating_add(events);
        while self.processed < limit {
            let Some((at, event)) = self.queue.pop_due(horizon) else {
                self.now = self.now.max(horizon);
                return true;
            };
            debug_assert!(at >= self.now, "event queue went back in time");
            self.now = at;
            self.processed += 1;
            world.handle(
                event,
                &mut Ctx {
                    now: at,
                    queue: &mut self.queue,
                },
            );
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it sees and re-schedules a countdown.
    struct Countdown(Vec<(u64, u32)>);

    impl Handler<u32> for Countdown {
        fn handle(&mut self, n: u32, cx: &mut Ctx<'_, u32>) {
            self.0.push((cx.now().as_nanos(), n));
            if n > 0 {
                cx.schedule_in(SimDuration::from_nanos(10), n - 1);
            }
        }
    }

    #[test]
    fn runs_until_horizon_and_parks_the_clock() {
        let mut engine = Engine::new();
        engine.schedule_at(SimTime::ZERO, 5);
        let mut world = Countdown(Vec::new());
        engine.run_until(SimTime::from_nanos(25), &mut world);
        assert_eq!(world.0, vec![(0, 5), (10, 4), (20, 3)]);
        assert_eq!(engine.now(), SimTime::from_nanos(25));
        assert_eq!(engine.processed(), 3);
        engine.run_until(SimTime::from_nanos(1000), &mut world);
        assert_eq!(world.0.last(), Some(&(50, 0)));
    }

    #[test]
    fn a_bounded_run_stops_after_its_events_and_resumes_identically() {
        let mut bounded = Engine::new();
        bounded.schedule_at(SimTime::ZERO, 5);
        let mut a = Countdown(Vec::new());
        let horizon = SimTime::from_nanos(1000);
        assert!(!bounded.run_until_or_after(horizon, 2, &mut a));
        assert_eq!((a.0.len(), bounded.now()), (2, SimTime::from_nanos(10)));
        while !bounded.run_until_or_after(horizon, 2, &mut a) {}
        let mut whole = Engine::new();
        whole.schedule_at(SimTime::ZERO, 5);
        let mut b = Countdown(Vec::new());
        whole.run_until(horizon, &mut b);
        assert_eq!(a.0, b.0);
        assert_eq!((bounded.now(), bounded.processed()), (horizon, 6));
    }
}
