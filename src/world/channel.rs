//! Messages over the network model: latency, serialisation, loss and FIFO order.
//!
//! A reliable channel (data, control) turns each lost transmission into one retransmission
//! timeout of extra delay, so a message with loss probability p needs a geometric number of
//! attempts with mean 1/(1−p). Each directed link sends one message at a time (serialisation
//! at the link's bandwidth queues behind earlier messages) and delivers in FIFO order: a message
//! never overtakes an earlier one on the same link. Retransmissions are not charged bandwidth.

use rand::SeedableRng;

use crate::model::{DataEvent, InstanceId, Network, NodeId};
use crate::sim::{SimDuration, SimRng, SimTime, Stream, derive_seed};

/// Mutable state of one directed link that has carried traffic: 16 bytes, so that the links
/// of a large cluster stay in cache.
#[derive(Debug)]
struct LinkState {
    /// When the link finishes its current transmission.
    free_at: SimTime,
    /// Arrival time of the last message, for FIFO delivery.
    last_arrival: SimTime,
}

/// A message on the wire, in its slot until it arrives.
#[derive(Clone, Copy, Debug)]
struct InTransit {
    from: InstanceId,
    to: InstanceId,
    event: DataEvent,
    /// Its link and its place in the link's sending order: the order in which the messages
    /// on the wire are listed (link by link, oldest first).
    link: u32,
    sent: u64,
}

/// Mutable state of every directed link, plus one network random stream per sending node.
/// Link state is created on first use, so a large cluster costs four bytes per node pair.
#[derive(Debug)]
pub struct Channels {
    nodes: usize,
    /// Per ordered node pair: index into `links`, or `u32::MAX` if never used.
    index: Vec<u32>,
    links: Vec<LinkState>,
    /// Messages on the wire, each in a slot its delivery event names (no per-link queue to
    /// touch at the send and again at the arrival); freed slots are reused last-in first-out,
    /// so the slot a send writes is one the cache holds.
    slots: Vec<Option<InTransit>>,
    free: Vec<u32>,
    sent: u64,
    rngs: Vec<SimRng>,
    /// Separate streams for control datagrams (heartbeats), so that adding a failure
    /// detector never shifts the data path's draws.
    control_rngs: Vec<SimRng>,
    /// Separate streams for flow-control credit announcements, so that bounding a buffer
    /// never shifts the draws of heartbeats and checkpoint messages (common random numbers).
    credit_rngs: Vec<SimRng>,
}

/// Temporary faults on a link at the moment a message is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkCondition {
    /// A partition cuts the link until this time.
    pub blocked_until: Option<SimTime>,
    /// Extra loss probability per transmission (a loss spike).
    pub extra_loss: f64,
    /// Extra latency per transmission (a delay spike).
    pub extra_latency: SimDuration,
}

/// When the first transmission that can succeed leaves, and how many were cut before it: a
/// partition loses every transmission until it heals, and the sender retries every
/// retransmission timeout `rto` [ns], so the first possible success is the first retry after
/// the heal.
fn first_possible_try(now: SimTime, rto: u64, condition: &LinkCondition) -> (SimTime, u32) {
    match condition.blocked_until {
        Some(heal) if heal > now => {
            let k = (heal - now).as_nanos().div_ceil(rto);
            let at = now.saturating_add(SimDuration::from_nanos(k.saturating_mul(rto)));
            (at, k.min(u64::from(u32::MAX / 2)) as u32)
        }
        _ => (now, 0),
    }
}

/// Transmissions lost before the first success with loss probability `loss`: geometric,
/// P(k) = loss^k·(1 − loss), drawn by inversion in O(1) so that a loss close to 1 cannot
/// stall the run.
fn lost_transmissions(loss: f64, rng: &mut SimRng) -> u32 {
    if loss > 0.0 {
        let u = 1.0 - crate::model::unit_draw(rng); // in (0, 1]
        (u.ln() / loss.ln()).floor().min(f64::from(u32::MAX / 2)) as u32
    } else {
        0
    }
}

/// Control streams are numbered after the data streams of every possible node.
const CONTROL_STREAM_OFFSET: u32 = 1 << 20;
/// Credit streams after the control streams.
const CREDIT_STREAM_OFFSET: u32 = 2 << 20;

/// Identifies a message on the wire; what its delivery event carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageId(pub u32);

impl Channels {
    /// Idle links for `nodes` nodes, with random streams of `replication`.
    pub fn new(nodes: usize, master_seed: u64, replication: u32) -> Self {
        Self {
            nodes,
            index: vec![u32::MAX; nodes * nodes],
            links: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            sent: 0,
            rngs: (0..nodes)
                .map(|n| {
                    SimRng::seed_from_u64(derive_seed(
                        master_seed,
                        replication,
                        Stream::Network,
                        n as u32,
                    ))
                })
                .collect(),
            control_rngs: (0..nodes)
                .map(|n| {
                    SimRng::seed_from_u64(derive_seed(
                        master_seed,
                        replication,
                        Stream::Network,
                        CONTROL_STREAM_OFFSET + n as u32,
                    ))
                })
                .collect(),
            credit_rngs: (0..nodes)
                .map(|n| {
                    SimRng::seed_from_u64(derive_seed(
                        master_seed,
                        replication,
                        Stream::Network,
                        CREDIT_STREAM_OFFSET + n as u32,
                    ))
                })
                .collect(),
        }
    }

    /// Arrival time of a heartbeat datagram sent now from `from` to `to`, or `None` if it is
    /// lost (dropped with the link's loss probability, or cut by a partition). Datagrams are
    /// tiny: no serialisation delay, no FIFO ordering.
    pub fn send_datagram(
        &mut self,
        network: &Network,
        from: NodeId,
        to: NodeId,
        now: SimTime,
        condition: &LinkCondition,
    ) -> Option<SimTime> {
        if condition.blocked_until.is_some_and(|t| t > now) {
            return None;
        }
        let link = network.link(from, to);
        let rng = &mut self.control_rngs[from.index()];
        let survive = (1.0 - link.loss) * (1.0 - condition.extra_loss);
        if crate::model::unit_draw(rng) >= survive {
            return None;
        }
        Some(
            now.saturating_add(link.latency.sample(rng))
                .saturating_add(condition.extra_latency),
        )
    }

    /// Arrival time of a small reliable control message (checkpoint trigger or
    /// acknowledgement) sent now from `from` to `to` on a separate channel: retransmitted
    /// through loss and partitions like data, but not queued behind data.
    pub fn send_control(
        &mut self,
        network: &Network,
        from: NodeId,
        to: NodeId,
        now: SimTime,
        condition: &LinkCondition,
    ) -> SimTime {
        self.send_small(network, (from, to), now, condition, false)
    }

    /// Arrival time of a flow-control credit announcement: like [`Channels::send_control`],
    /// drawn from the credit streams.
    pub fn send_credit(
        &mut self,
        network: &Network,
        from: NodeId,
        to: NodeId,
        now: SimTime,
        condition: &LinkCondition,
    ) -> SimTime {
        self.send_small(network, (from, to), now, condition, true)
    }

    fn send_small(
        &mut self,
        network: &Network,
        (from, to): (NodeId, NodeId),
        now: SimTime,
        condition: &LinkCondition,
        credit: bool,
    ) -> SimTime {
        let link = network.link(from, to);
        let rto = link.retransmit_timeout.as_nanos().max(1);
        let (first_try, _) = first_possible_try(now, rto, condition);
        let rng = if credit {
            &mut self.credit_rngs[from.index()]
        } else {
            &mut self.control_rngs[from.index()]
        };
        let loss = 1.0 - (1.0 - link.loss) * (1.0 - condition.extra_loss);
        let lost = u64::from(lost_transmissions(loss, rng));
        first_try
            .saturating_add(SimDuration::from_nanos(rto.saturating_mul(lost)))
            .saturating_add(link.latency.sample(rng))
            .saturating_add(condition.extra_latency)
    }

    /// Replaces every message on the wire that matches `voidable` by a void marker (its
    /// delivery then does nothing); returns how many were voided. A rollback resets
    /// connections this way.
    pub fn void_in_transit(
        &mut self,
        voidable: impl Fn(InstanceId, InstanceId, &DataEvent) -> bool,
        void_id: u64,
        mut on_void: impl FnMut(InstanceId, &DataEvent),
    ) -> u64 {
        let mut n = 0;
        for slot in self.listing() {
            let m = self.slots[slot]
                .as_mut()
                .expect("listed slots hold a message");
            let e = &mut m.event;
            if voidable(m.from, m.to, e) {
                on_void(m.to, e);
                // A voided barrier stays apart: it took no flow-control credit.
                e.id = if e.id == super::BARRIER_ID {
                    super::VOID_BARRIER_ID
                } else {
                    void_id
                };
                n += 1;
            }
        }
        n
    }

    /// The slots holding a message, link by link in the order links were first used, each
    /// link's oldest first (rollbacks and end-of-run accounting only: it sorts).
    fn listing(&self) -> Vec<usize> {
        let mut live: Vec<(u32, u64, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(k, m)| m.as_ref().map(|m| (m.link, m.sent, k)))
            .collect();
        live.sort_unstable();
        live.into_iter().map(|(_, _, k)| k).collect()
    }

    /// Every message on the wire with its sender and receiver.
    pub fn messages_with_ends(&self) -> impl Iterator<Item = (InstanceId, InstanceId, &DataEvent)> {
        self.listing().into_iter().map(|k| {
            let m = self.slots[k].as_ref().expect("listed slots hold a message");
            (m.from, m.to, &m.event)
        })
    }

    /// Every data message on the wire (for end-of-run accounting).
    pub fn messages_in_transit(&self) -> impl Iterator<Item = &DataEvent> {
        self.messages_with_ends().map(|(_, _, e)| e)
    }

    fn link_state(&mut self, from: NodeId, to: NodeId) -> (u32, &mut LinkState) {
        let i = from.index() * self.nodes + to.index();
        if self.index[i] == u32::MAX {
            self.index[i] = self.links.len() as u32;
            self.links.push(LinkState {
                free_at: SimTime::ZERO,
                last_arrival: SimTime::ZERO,
            });
        }
        let id = self.index[i];
        (id, &mut self.links[id as usize])
    }

    /// Puts a reliable message of `event` from instance `sender` on node `from` to instance `to`
    /// on `to_node` on the wire at `now`. Returns the message, the arrival time (at which the kernel must call
    /// [`Channels::receive`] for it) and the number of transmissions it took.
    #[inline]
    pub fn send_reliable(
        &mut self,
        network: &Network,
        (from, to_node): (NodeId, NodeId),
        (sender, to): (InstanceId, InstanceId),
        event: DataEvent,
        now: SimTime,
        condition: &LinkCondition,
    ) -> (MessageId, SimTime, u32) {
        let link = network.link(from, to_node);
        let rto = link.retransmit_timeout.as_nanos().max(1);
        let (first_try, cut_attempts) = first_possible_try(now, rto, condition);
        let rng = &mut self.rngs[from.index()];
        let loss = 1.0 - (1.0 - link.loss) * (1.0 - condition.extra_loss);
        let lost = lost_transmissions(loss, rng);
        let latency = link
            .latency
            .sample(rng)
            .saturating_add_duration(condition.extra_latency);
        let retry_delay = SimDuration::from_nanos(rto.saturating_mul(u64::from(lost)));
        let serialisation = link.serialisation(event.bytes);
        let (id, state) = self.link_state(from, to_node);
        // Saturating arithmetic: an overloaded link's backlog grows without bound, and a
        // message that would arrive after the end of time simply never arrives.
        let start = first_try.max(state.free_at);
        state.free_at = start.saturating_add(serialisation);
        let arrival = state
            .free_at
            .saturating_add(retry_delay)
            .saturating_add(latency)
            .max(state.last_arrival);
        state.last_arrival = arrival;
        let message = InTransit {
            from: sender,
            to,
            event,
            link: id,
            sent: self.sent,
        };
        self.sent += 1;
        let slot = match self.free.pop() {
            Some(k) => {
                self.slots[k as usize] = Some(message);
                k
            }
            None => {
                self.slots.push(Some(message));
                (self.slots.len() - 1) as u32
            }
        };
        (MessageId(slot), arrival, cut_attempts + lost + 1)
    }

    /// Message `id`, still on the wire, with its sender and receiver.
    pub fn peek(&self, id: MessageId) -> Option<(InstanceId, InstanceId, &DataEvent)> {
        self.slots[id.0 as usize]
            .as_ref()
            .map(|m| (m.from, m.to, &m.event))
    }

    /// Takes message `id` off the wire: the one whose arrival is being handled.
    #[inline]
    pub fn receive(&mut self, id: MessageId) -> (InstanceId, InstanceId, DataEvent) {
        let m = self.slots[id.0 as usize]
            .take()
            .expect("a delivery event names a message on the wire");
        self.free.push(id.0);
        (m.from, m.to, m.event)
    }

    /// Data messages (not barriers) on the wire now.
    pub fn in_transit(&self) -> u64 {
        self.messages_in_transit()
            .filter(|e| e.id < super::VOID_BARRIER_ID)
            .count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DurationDist, Link};

    fn ev() -> DataEvent {
        DataEvent {
            id: 0,
            key: 0,
            created: SimTime::ZERO,
            bytes: 1000,
        }
    }

    fn send(ch: &mut Channels, net: &Network, bytes: u32, now: SimTime) -> (SimTime, u32) {
        let (message, at, attempts) = ch.send_reliable(
            net,
            (NodeId(0), NodeId(1)),
            (InstanceId(0), InstanceId(0)),
            DataEvent { bytes, ..ev() },
            now,
            &LinkCondition::default(),
        );
        ch.receive(message);
        (at, attempts)
    }

    fn network(loss: f64, latency: DurationDist, bytes_per_s: f64) -> Network {
        Network::uniform(
            2,
            Link {
                latency,
                bytes_per_s,
                loss,
                retransmit_timeout: SimDuration::from_millis(10),
            },
        )
    }

    #[test]
    fn delay_is_serialisation_plus_latency_and_queues_behind_earlier_messages() {
        let net = network(0.0, DurationDist::Const(SimDuration::from_millis(1)), 1e6);
        let mut ch = Channels::new(2, 1, 0);
        let (a, _) = send(&mut ch, &net, 1000, SimTime::ZERO);
        // 1000 B at 1 MB/s = 1 ms on the wire, + 1 ms latency.
        assert_eq!(a, SimTime::from_nanos(2_000_000));
        let (b, _) = send(&mut ch, &net, 1000, SimTime::ZERO);
        assert_eq!(
            b,
            SimTime::from_nanos(3_000_000),
            "second message waits for the link"
        );
    }

    #[test]
    fn random_latency_never_reorders_a_link() {
        let net = network(0.0, DurationDist::exp(1e6), f64::INFINITY);
        let mut ch = Channels::new(2, 2, 0);
        let mut last = SimTime::ZERO;
        for k in 0..10_000u64 {
            let (t, _) = send(&mut ch, &net, 10, SimTime::from_nanos(k * 1000));
            assert!(t >= last);
            last = t;
        }
    }

    /// A message sent during a partition leaves at the first retransmission after the heal:
    /// sent at 0 with a 10 ms timeout, heal at 25 ms → first transmission that can succeed at
    /// 30 ms, + 1 ms latency; four transmissions (cut at 0, 10 and 20 ms, then one that
    /// succeeds).
    #[test]
    fn partition_delays_a_reliable_message_to_the_first_retry_after_the_heal() {
        let net = network(
            0.0,
            DurationDist::Const(SimDuration::from_millis(1)),
            f64::INFINITY,
        );
        let mut ch = Channels::new(2, 4, 0);
        let cut = LinkCondition {
            blocked_until: Some(SimTime::from_nanos(25_000_000)),
            ..Default::default()
        };
        let (message, at, attempts) = ch.send_reliable(
            &net,
            (NodeId(0), NodeId(1)),
            (InstanceId(0), InstanceId(0)),
            ev(),
            SimTime::ZERO,
            &cut,
        );
        ch.receive(message);
        assert_eq!((at, attempts), (SimTime::from_nanos(31_000_000), 4));
        assert_eq!(
            ch.send_datagram(&net, NodeId(0), NodeId(1), SimTime::ZERO, &cut),
            None
        );
    }

    /// With loss p per transmission and unlimited retries, attempts are geometric with mean
    /// 1/(1 − p); over 100 000 messages at p = 0.2 the mean must lie within 4 standard errors
    /// of 1.25 (sd of attempts = sqrt(p)/(1 − p) = 0.559).
    #[test]
    fn lossy_link_retransmits_geometrically() {
        const N: u32 = 100_000;
        let net = network(0.2, DurationDist::Const(SimDuration::ZERO), f64::INFINITY);
        let mut ch = Channels::new(2, 3, 0);
        let total: u64 = (0..N)
            .map(|_| u64::from(send(&mut ch, &net, 10, SimTime::ZERO).1))
            .sum();
        let mean = total as f64 / f64::from(N);
        let se = 0.559 / f64::from(N).sqrt();
        assert!((mean - 1.25).abs() < 4.0 * se, "mean attempts {mean}");
    }
}
