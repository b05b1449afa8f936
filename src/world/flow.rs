//! Credit-based flow control: bounded input channels, blocked senders and source pressure.
//!
//! As in Flink's network stack, every *channel* — one sender instance to one receiver
//! instance whose operator has a bounded `buffer` — has a capacity in credits (events, or
//! bytes). A sender spends credits when it transmits an event and may only transmit while it
//! has enough; the receiver frees them when the event leaves it (served, filtered, dropped,
//! or absorbed as a later copy) and announces them back in a control message over the network
//! model. At most one announcement per channel is on the wire: credits freed meanwhile ride
//! the next one, so a channel needs about a round trip's worth of capacity to run at full
//! speed — the bandwidth-delay rule of real credit-based networks. Within a node credits come
//! back at once.
//!
//! An output without credit goes to its sender's *output buffer* (a FIFO shared by all its
//! outputs, so nothing overtakes it), and the sender is **blocked**: it starts no new
//! service until the buffer has drained. Its own input then fills and stops returning
//! credits, and the pressure propagates upstream to the sources. Barriers travel in the same
//! FIFO without needing credit (Flink sends events without credit too), so under pressure a
//! barrier waits behind the data buffered before it.
//!
//! A source under pressure keeps generating events; what happens to them is the source's
//! `pressure`. `Pull` (a replayable log such as a Kafka topic): they wait outside the system,
//! the source *lags*, and it reads them in order once it may send. `Push(buffer: n)`
//! (sensors): up to n wait at the source and the rest are **shed** — counted apart from
//! losses to faults, and never replayed (the producer did not keep them). A waiting event is
//! not yet in the system: a checkpoint's source offset is the first one still waiting, and a
//! crash of the source does not lose them.
//!
//! The credit invariant, per channel: credits at the sender + credits of events on the wire,
//! queued or in service at the receiver + freed credits not yet announced + credits in an
//! announcement on the wire = capacity. [`World::check_credits`] verifies it.
//!
//! Without any bounded buffer the world has no [`Flow`] at all, and the data path pays one
//! `Option` test per send.

use std::collections::{HashMap, VecDeque};

use super::keys::KeyBuild;
use super::{BARRIER_ID, Event, Status, World};
use crate::model::{Capacity, DataEvent, InstanceId, OperatorKind, Routing, SourcePressure};
use crate::partition::Partitioner;
use crate::sim::{Ctx, SimTime};

/// `Queued::channel` of an event that took no credit (an unbounded receiver, a barrier).
pub(super) const NO_CHANNEL: u32 = u32::MAX;

/// Credit state of one bounded channel.
#[derive(Clone, Copy, Debug)]
struct Credit {
    from: InstanceId,
    to: InstanceId,
    capacity: Capacity,
    /// Credits the sender holds.
    credits: u64,
    /// Credits the receiver freed and has not announced yet.
    owed: u64,
    /// Credits in the announcement on the wire (0: none is).
    granting: u64,
}

/// Flow-control state of one replication (present only with a bounded buffer somewhere).
#[derive(Debug)]
pub(super) struct Flow {
    credits: Vec<Credit>,
    /// (sender << 32 | receiver) → index into `credits`; a lookup table, never iterated.
    index: HashMap<u64, u32, KeyBuild>,
    /// Per receiver instance: its bounded input channels, for announcing at a restart.
    inputs: Vec<Vec<u32>>,
    /// Per sender instance: outputs waiting for credit, oldest first.
    pending: Vec<VecDeque<(InstanceId, DataEvent)>>,
    /// Per source instance: events it may not send yet (its lag, or its push buffer).
    waiting: Vec<VecDeque<DataEvent>>,
    /// Per instance: inside [`World::drain`] (credits freed meanwhile are picked up by it).
    draining: Vec<bool>,
    /// Senders whose output buffer lost entries where no event context was at hand: they
    /// are drained (and unblocked) after the current event.
    recheck: Vec<InstanceId>,
    /// Per instance: under backpressure (blocked, or a source holding events back) since,
    /// and that time inside the measurement window \[ns\].
    blocked_since: Vec<Option<SimTime>>,
    blocked_ns: Vec<u64>,
    /// Measurement window.
    window: (SimTime, SimTime),
    /// Events shed by push sources (whole run), and inside the window.
    shed: u64,
    shed_in_window: u64,
    /// Source lag: events waiting at all sources now, when that last changed, its integral
    /// over the window \[event·ns\] and its peak in the window.
    lag: u64,
    lag_changed: SimTime,
    lag_area: u128,
    lag_peak: u64,
    /// Waits of events that entered the system inside the window: sum \[ns\], count, max.
    wait_sum_ns: u128,
    wait_count: u64,
    wait_max_ns: u64,
}

impl Flow {
    /// Flow state for `instances` instances measured over `window`.
    pub(super) fn new(instances: usize, window: (SimTime, SimTime)) -> Self {
        Self {
            credits: Vec::new(),
            index: HashMap::default(),
            inputs: vec![Vec::new(); instances],
            pending: (0..instances).map(|_| VecDeque::new()).collect(),
            waiting: (0..instances).map(|_| VecDeque::new()).collect(),
            draining: vec![false; instances],
            recheck: Vec::new(),
            blocked_since: vec![None; instances],
            blocked_ns: vec![0; instances],
            window,
            shed: 0,
            shed_in_window: 0,
            lag: 0,
            lag_changed: window.0,
            lag_area: 0,
            lag_peak: 0,
            wait_sum_ns: 0,
            wait_count: 0,
            wait_max_ns: 0,
        }
    }

    /// The channel from `from` to `to` (bounded by `capacity`), created full on first use.
    fn channel(&mut self, from: InstanceId, to: InstanceId, capacity: Capacity) -> u32 {
        let key = u64::from(from.0) << 32 | u64::from(to.0);
        if let Some(&c) = self.index.get(&key) {
            return c;
        }
        let c = self.credits.len() as u32;
        self.credits.push(Credit {
            from,
            to,
            capacity,
            credits: capacity.credits(),
            owed: 0,
            granting: 0,
        });
        self.index.insert(key, c);
        self.inputs[to.index()].push(c);
        c
    }

    /// The channel an arriving event from `from` to `to` took credit on.
    #[inline]
    pub(super) fn arrival_channel(&self, from: InstanceId, to: InstanceId) -> u32 {
        let key = u64::from(from.0) << 32 | u64::from(to.0);
        self.index.get(&key).copied().unwrap_or(NO_CHANNEL)
    }

    /// Frees the credits of an event of `bytes` on `channel` without announcing them (its
    /// receiver is going down; it announces when it runs again).
    pub(super) fn free_silently(&mut self, channel: u32, bytes: u32) {
        let c = &mut self.credits[channel as usize];
        c.owed += c.capacity.units(bytes);
    }

    /// Time-weighted source lag: `lag` changes by `delta` at `now`.
    fn lag_changes(&mut self, now: SimTime, delta: i64) {
        let (start, end) = self.window;
        let t = now.clamp(start, end);
        if t > self.lag_changed {
            self.lag_area += u128::from(self.lag) * u128::from((t - self.lag_changed).as_nanos());
            self.lag_changed = t;
        }
        self.lag = self.lag.saturating_add_signed(delta);
        if now >= start && now <= end {
            self.lag_peak = self.lag_peak.max(self.lag);
        }
    }

    /// Instance `i` is under backpressure from `now` (blocked, or a source holding events
    /// back) unless it already was.
    fn open_blocked(&mut self, i: usize, now: SimTime) {
        if self.blocked_since[i].is_none() {
            self.blocked_since[i] = Some(now);
        }
    }

    /// Blocked time of instance `i` up to `now`, clipped to the window.
    fn close_blocked(&mut self, i: usize, now: SimTime) {
        if let Some(since) = self.blocked_since[i].take() {
            let (start, end) = self.window;
            let (a, b) = (since.clamp(start, end), now.clamp(start, end));
            self.blocked_ns[i] += (b - a).as_nanos();
        }
    }

    /// What instance `i`'s output buffer holds, oldest first.
    pub(super) fn output_buffer(
        &self,
        i: InstanceId,
    ) -> impl Iterator<Item = (InstanceId, DataEvent)> + '_ {
        self.pending[i.index()].iter().copied()
    }

    /// Whether some sender waits to be drained after the current event.
    #[inline]
    pub(super) fn has_recheck(&self) -> bool {
        !self.recheck.is_empty()
    }

    /// Outputs waiting for credit and events waiting at sources (for the conservation check),
    /// with their ids (for the ledger's loss count).
    pub(super) fn held(&self) -> impl Iterator<Item = &DataEvent> + '_ {
        self.pending
            .iter()
            .flat_map(|p| p.iter().map(|(_, e)| e))
            .filter(|e| e.id != BARRIER_ID)
            .chain(self.waiting.iter().flatten())
    }
}

impl World<'_> {
    /// Sender and receiver of `channel`.
    pub(super) fn credit_ends(&self, channel: u32) -> Option<(InstanceId, InstanceId)> {
        let c = self.flow.as_ref()?.credits.get(channel as usize)?;
        Some((c.from, c.to))
    }

    /// Whether `event` from `from` to `to` may go on the wire now; if not, it waits in
    /// `from`'s output buffer (and `from` is blocked).
    #[inline]
    pub(super) fn admit(
        &mut self,
        from: InstanceId,
        to: InstanceId,
        event: DataEvent,
        now: SimTime,
    ) -> bool {
        let capacity = self.instances[to.index()].op.buffer;
        let flow = self.flow.as_mut().expect("admit only with flow control");
        let pending = &mut flow.pending[from.index()];
        if !pending.is_empty() {
            pending.push_back((to, event));
            return false;
        }
        let Some(capacity) = capacity.filter(|_| event.id != BARRIER_ID) else {
            return true;
        };
        let c = flow.channel(from, to, capacity);
        let credit = &mut flow.credits[c as usize];
        let units = capacity.units(event.bytes);
        if credit.credits >= units {
            credit.credits -= units;
            return true;
        }
        if self.instances[to.index()].status != Status::Running {
            // Its credits come back only when it runs again: waiting for them would stall
            // every other output (a live active copy's too). Dropped here, as it would be
            // on arrival.
            self.drop_for_gone_receiver(event, now);
            return false;
        }
        flow.pending[from.index()].push_back((to, event));
        self.block(from, now);
        false
    }

    /// An output for a receiver that is down or restarting, without credit, is dropped at
    /// the sender (the upstream log or the replay that restores the receiver covers it,
    /// exactly as for a message that reaches a down instance).
    fn drop_for_gone_receiver(&mut self, event: DataEvent, now: SimTime) {
        self.recorder.dropped();
        self.ledger.dropped(event.id, event.created, now);
    }

    /// `i` has output without credit: it stops serving.
    fn block(&mut self, i: InstanceId, now: SimTime) {
        let state = &mut self.instances[i.index()];
        if state.blocked {
            return;
        }
        state.blocked = true;
        state.refresh_serving();
        if std::mem::replace(&mut state.in_ready, false) {
            let node = state.node;
            self.nodes[node.index()].ready.retain(|&x| x != i);
        }
        if let Some(flow) = self.flow.as_mut() {
            flow.open_blocked(i.index(), now);
        }
    }

    /// `i`'s output buffer has drained: it serves again (a source reads what waits).
    fn unblock(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let state = &mut self.instances[i.index()];
        if !state.blocked {
            return;
        }
        state.blocked = false;
        state.refresh_serving();
        let node = state.node;
        if let Some(flow) = self.flow.as_mut()
            && flow.waiting[i.index()].is_empty()
        {
            flow.close_blocked(i.index(), cx.now());
        }
        if self.instances[i.index()].source.is_some() {
            self.pump(i, cx);
        } else if self.nodes[node.index()].up {
            self.wake(i, node, cx);
        }
    }

    /// Sends what `i`'s output buffer holds, oldest first, while credit lasts.
    pub(super) fn drain(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        if self.instances[i.index()].status != Status::Running {
            return;
        }
        let Some(flow) = self.flow.as_mut() else {
            return;
        };
        if std::mem::replace(&mut flow.draining[i.index()], true) {
            return; // the drain in progress picks the credits up
        }
        loop {
            let flow = self.flow.as_mut().expect("flow control");
            let Some(&(to, event)) = flow.pending[i.index()].front() else {
                break;
            };
            if event.id != BARRIER_ID
                && let Some(capacity) = self.instances[to.index()].op.buffer
            {
                let c = flow.channel(i, to, capacity);
                let credit = &mut flow.credits[c as usize];
                let units = capacity.units(event.bytes);
                if credit.credits < units {
                    if self.instances[to.index()].status == Status::Running {
                        break;
                    }
                    flow.pending[i.index()].pop_front();
                    self.drop_for_gone_receiver(event, cx.now());
                    continue;
                }
                credit.credits -= units;
            }
            flow.pending[i.index()].pop_front();
            self.transmit(i, to, event, cx);
        }
        let flow = self.flow.as_mut().expect("flow control");
        flow.draining[i.index()] = false;
        if flow.pending[i.index()].is_empty() {
            self.unblock(i, cx);
        }
    }

    /// The receiver of `channel` is done with an event of `bytes`: its credits go back.
    #[inline]
    pub(super) fn release(&mut self, channel: u32, bytes: u32, cx: &mut Ctx<'_, Event>) {
        if let Some(flow) = self.flow.as_mut() {
            flow.free_silently(channel, bytes);
            self.announce(channel, cx);
        }
    }

    /// Announces `channel`'s freed credits unless an announcement is already on the wire or
    /// the receiver is not running.
    fn announce(&mut self, channel: u32, cx: &mut Ctx<'_, Event>) {
        let flow = self.flow.as_mut().expect("flow control");
        let c = flow.credits[channel as usize];
        if c.owed == 0 || c.granting > 0 {
            return;
        }
        let receiver = &self.instances[c.to.index()];
        let at = receiver.node;
        if receiver.status != Status::Running || !self.nodes[at.index()].up {
            return;
        }
        let to = self.instances[c.from.index()].node;
        if at == to {
            let credit = &mut flow.credits[channel as usize];
            credit.credits += std::mem::take(&mut credit.owed);
            self.resume_sender(c.from, cx);
        } else {
            let credit = &mut flow.credits[channel as usize];
            credit.granting = std::mem::take(&mut credit.owed);
            self.control_messages += 1;
            let condition = self.credit_link_condition(at, to);
            let arrival = self.channels.send_credit(
                &self.scenario.cluster.network,
                at,
                to,
                cx.now(),
                &condition,
            );
            cx.schedule_at(arrival, Event::Credit { channel });
        }
    }

    /// A credit announcement reached the sender of `channel`.
    pub(super) fn on_credit(&mut self, channel: u32, cx: &mut Ctx<'_, Event>) {
        let flow = self.flow.as_mut().expect("credits only with flow control");
        let credit = &mut flow.credits[channel as usize];
        credit.credits += std::mem::take(&mut credit.granting);
        let from = credit.from;
        self.announce(channel, cx);
        self.resume_sender(from, cx);
    }

    /// Credit came back to `i`: it sends what it buffered, or a source reads what waits.
    fn resume_sender(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let flow = self.flow.as_ref().expect("flow control");
        if !flow.pending[i.index()].is_empty() {
            self.drain(i, cx);
        } else if self.instances[i.index()].source.is_some() {
            self.pump(i, cx);
        }
    }

    /// Whether source `i` must hold `event` back: events wait before it, or it runs and
    /// could not send this one now.
    pub(super) fn source_must_wait(&mut self, i: InstanceId, event: &DataEvent) -> bool {
        let flow = self.flow.as_ref().expect("flow control");
        if !flow.waiting[i.index()].is_empty() {
            return true;
        }
        let s = &self.instances[i.index()];
        s.status == Status::Running && !self.recovering && (s.blocked || self.would_block(i, event))
    }

    /// Whether an output of `event` from `i` would lack credit now (routing as `emit`
    /// would, without advancing round robin).
    fn would_block(&mut self, i: InstanceId, event: &DataEvent) -> bool {
        let op = self.instances[i.index()].op;
        for (k, &edge_id) in op.outputs.iter().enumerate() {
            let route = &self.edges[edge_id.index()];
            let sender = &self.instances[i.index()];
            let target = match (&route.routing, &route.partitioner) {
                (_, Some(p)) => p.route(event.key, route.targets),
                (Routing::Forward, None) => sender.index,
                (_, None) => sender.next_target[k],
            };
            let to = InstanceId(route.first_target.0 + target);
            let copies = self.groups.get(to.index()).map_or(1, Vec::len);
            for c in 0..copies {
                let receiver = if copies > 1 {
                    self.groups[to.index()][c]
                } else {
                    to
                };
                let Some(capacity) = self.instances[receiver.index()].op.buffer else {
                    continue;
                };
                if self.instances[receiver.index()].status != Status::Running {
                    continue; // dropped at the sender rather than waited for (see `admit`)
                }
                let flow = self.flow.as_mut().expect("flow control");
                let ch = flow.channel(i, receiver, capacity);
                if flow.credits[ch as usize].credits < capacity.units(event.bytes) {
                    return true;
                }
            }
        }
        false
    }

    /// Source `i` cannot send `event` yet: it waits (pull, or room in the push buffer) or
    /// is shed.
    pub(super) fn hold_at_source(&mut self, i: InstanceId, event: DataEvent, now: SimTime) {
        let OperatorKind::Source { pressure, .. } = self.instances[i.index()].op.kind else {
            unreachable!("only sources hold events back")
        };
        let flow = self.flow.as_mut().expect("flow control");
        if let SourcePressure::Push { buffer } = pressure
            && flow.waiting[i.index()].len() >= buffer as usize
        {
            flow.shed += 1;
            self.recorder.shed();
            if now >= flow.window.0 && now <= flow.window.1 {
                flow.shed_in_window += 1;
            }
            // Never entered the system and never will: neither lost to a fault nor owed.
            self.ledger.mark(event.id);
            return;
        }
        flow.waiting[i.index()].push_back(event);
        flow.lag_changes(now, 1);
        flow.open_blocked(i.index(), now);
    }

    /// Source `i` sends the events waiting at it, oldest first, while it runs and may.
    pub(super) fn pump(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        loop {
            let s = &self.instances[i.index()];
            if s.status != Status::Running || self.recovering || s.blocked {
                return;
            }
            let flow = self.flow.as_ref().expect("flow control");
            let Some(&event) = flow.waiting[i.index()].front() else {
                return;
            };
            if self.would_block(i, &event) {
                return;
            }
            let now = cx.now();
            let flow = self.flow.as_mut().expect("flow control");
            flow.waiting[i.index()].pop_front();
            flow.lag_changes(now, -1);
            if flow.waiting[i.index()].is_empty() && !self.instances[i.index()].blocked {
                flow.close_blocked(i.index(), now);
            }
            if now >= flow.window.0 && now <= flow.window.1 {
                let wait = now.saturating_since(event.created).as_nanos();
                flow.wait_sum_ns += u128::from(wait);
                flow.wait_count += 1;
                flow.wait_max_ns = flow.wait_max_ns.max(wait);
            }
            self.ingest(i, event, cx);
        }
    }

    /// The first sequence number source `i` has not taken in yet (its checkpoint offset).
    pub(super) fn source_offset(&self, i: InstanceId, next_seq: u64) -> u64 {
        self.flow
            .as_ref()
            .and_then(|f| f.waiting[i.index()].front())
            .map_or(next_seq, |e| e.id & ((1 << crate::metrics::SEQ_BITS) - 1))
    }

    /// Instance `i` crashed: what its output buffer held is lost like its queue (a source's,
    /// or a continuously synced standby's, is sent again by its replacement when `resend`);
    /// it is no longer blocked. Events waiting at a source stay (they are outside).
    pub(super) fn flow_crashed(&mut self, i: InstanceId, resend: bool, now: SimTime) {
        let Some(flow) = self.flow.as_mut() else {
            return;
        };
        for (to, e) in flow.pending[i.index()].drain(..) {
            if e.id == BARRIER_ID {
                continue;
            }
            self.recorder.dropped();
            self.ledger.dropped(e.id, e.created, now);
            if resend {
                self.resend.push((i, to, e));
            }
        }
        if flow.waiting[i.index()].is_empty() {
            flow.close_blocked(i.index(), now);
        }
        let state = &mut self.instances[i.index()];
        state.blocked = false;
        state.refresh_serving();
    }

    /// Voids what other instances' output buffers hold for instance `i` (it crashed, or
    /// its replacement starts): like messages on the wire to it, it is dropped, and the
    /// replay that restores `i` sends it again.
    pub(super) fn flow_void_incoming(&mut self, i: InstanceId, now: SimTime) {
        let Some(flow) = self.flow.as_mut() else {
            return;
        };
        for (s, pending) in flow.pending.iter_mut().enumerate() {
            let before = pending.len();
            pending.retain(|&(to, e)| {
                if to != i {
                    return true;
                }
                if e.id != BARRIER_ID {
                    self.recorder.dropped();
                    self.ledger.dropped(e.id, e.created, now);
                }
                false
            });
            if pending.len() != before {
                flow.recheck.push(InstanceId(s as u32));
            }
        }
    }

    /// After an event: senders whose output buffer shrank outside the data path send on.
    pub(super) fn flow_recheck(&mut self, cx: &mut Ctx<'_, Event>) {
        while let Some(s) = self.flow.as_mut().and_then(|f| f.recheck.pop()) {
            self.drain(s, cx);
        }
    }

    /// Instance `i` runs again: it announces the credits freed while it was down, and a
    /// source reads what waited.
    pub(super) fn flow_restarted(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let Some(flow) = self.flow.as_ref() else {
            return;
        };
        let inputs = flow.inputs[i.index()].clone();
        for c in inputs {
            self.announce(c, cx);
        }
        if self.instances[i.index()].source.is_some() {
            self.resume_sender(i, cx);
        }
    }

    /// A rollback ended: every source reads what waited at it.
    pub(super) fn flow_sources_resume(&mut self, cx: &mut Ctx<'_, Event>) {
        if self.flow.is_none() {
            return;
        }
        for s in 0..self.instances.len() {
            if self.instances[s].source.is_some() {
                self.resume_sender(InstanceId(s as u32), cx);
            }
        }
    }

    /// Flow-control metrics at the end of the run (nothing without flow control).
    pub(super) fn flow_metrics(&mut self, end: SimTime, window_s: f64) -> Vec<(String, f64)> {
        let Some(flow) = self.flow.as_mut() else {
            return Vec::new();
        };
        for i in 0..flow.blocked_since.len() {
            if flow.blocked_since[i].is_some() {
                flow.close_blocked(i, end);
                flow.blocked_since[i] = Some(end);
            }
        }
        flow.lag_changes(end, 0);
        // Events still waiting at the end count with their age then.
        let mut wait_max = flow.wait_max_ns;
        for w in &flow.waiting {
            if let Some(e) = w.front() {
                wait_max = wait_max.max(end.saturating_since(e.created).as_nanos());
            }
        }
        let window_ns = window_s * 1e9;
        let emitted = self.recorder.emitted_in_window().max(1);
        let mut out = vec![
            ("events_shed".to_string(), flow.shed as f64),
            (
                "shed_fraction".to_string(),
                flow.shed_in_window as f64 / emitted as f64,
            ),
            (
                "source_lag_events_mean".to_string(),
                flow.lag_area as f64 / window_ns,
            ),
            ("source_lag_events_max".to_string(), flow.lag_peak as f64),
            ("source_lag_events_end".to_string(), flow.lag as f64),
            (
                "source_lag_s_mean".to_string(),
                if flow.wait_count == 0 {
                    0.0
                } else {
                    flow.wait_sum_ns as f64 * 1e-9 / flow.wait_count as f64
                },
            ),
            ("source_lag_s_max".to_string(), wait_max as f64 * 1e-9),
        ];
        for (o, op) in self.scenario.graph.operators.iter().enumerate() {
            if matches!(op.kind, OperatorKind::Sink) {
                continue;
            }
            // Active copies count as instances of their operator.
            let (blocked, count) = self
                .instances
                .iter()
                .enumerate()
                .filter(|(_, s)| s.operator.index() == o)
                .fold((0u64, 0u64), |(b, n), (i, _)| {
                    (b + flow.blocked_ns[i], n + 1)
                });
            out.push((
                format!("backpressure_{}", op.name),
                blocked as f64 / (count.max(1) as f64 * window_ns),
            ));
        }
        out
    }

    /// Checks the credit invariant of every channel (see the module doc); the first broken
    /// channel, described.
    pub(super) fn check_credits(&self) -> Result<(), String> {
        let Some(flow) = self.flow.as_ref() else {
            return Ok(());
        };
        let mut outstanding = vec![0u64; flow.credits.len()];
        for (from, to, e) in self.channels.messages_with_ends() {
            if e.id == BARRIER_ID || e.id == super::VOID_BARRIER_ID {
                continue;
            }
            let c = flow.arrival_channel(from, to);
            if c != NO_CHANNEL {
                outstanding[c as usize] += flow.credits[c as usize].capacity.units(e.bytes);
            }
        }
        for s in &self.instances {
            for q in s
                .queue
                .iter()
                .chain(s.slots.iter().flatten().map(|x| &x.queued))
                .chain(s.alignment.iter().flat_map(|a| a.held()))
            {
                if q.channel != NO_CHANNEL {
                    outstanding[q.channel as usize] += flow.credits[q.channel as usize]
                        .capacity
                        .units(q.event.bytes);
                }
            }
        }
        for (k, c) in flow.credits.iter().enumerate() {
            let total = c.credits + outstanding[k] + c.owed + c.granting;
            if total != c.capacity.credits() {
                return Err(format!(
                    "credits of channel {} → {} do not add up: {} held + {} outstanding + {} \
                     owed + {} announced != capacity {}",
                    c.from.0,
                    c.to.0,
                    c.credits,
                    outstanding[k],
                    c.owed,
                    c.granting,
                    c.capacity.credits()
                ));
            }
        }
        Ok(())
    }
}
