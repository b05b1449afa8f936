//! Messages over the network model: latency, serialisation, loss and FIFO order.
//!
//! A reliable channel (data, control) turns each lost transmission into one retransmission
//! timeout of extra delay, so a message with loss probability p needs a geometric number of
//! attempts with mean 1/(1−p). Each directed link sends one message at a time (serialisation
//! at the link's bandwidth queues behind earlier messages) and delivers in FIFO order: a message
//! never overtakes an earlier one on the same link. Retransmissions are not charged bandwidth.

use rand::SeedableRng;

use crate::model::{Network, NodeId};
use crate::sim::{SimDuration, SimRng, SimTime, Stream, derive_seed};

/// Mutable state of every directed link, plus one network random stream per sending node.
#[derive(Debug)]
pub struct Channels {
    nodes: usize,
    /// Per link: when the link finishes its current transmission.
    free_at: Vec<SimTime>,
    /// Per link: arrival time of the last message, for FIFO delivery.
    last_arrival: Vec<SimTime>,
    rngs: Vec<SimRng>,
}

impl Channels {
    /// Idle links for `nodes` nodes, with random streams of `replication`.
    pub fn new(nodes: usize, master_seed: u64, replication: u32) -> Self {
        Self {
            nodes,
            free_at: vec![SimTime::ZERO; nodes * nodes],
            last_arrival: vec![SimTime::ZERO; nodes * nodes],
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
        }
    }

    /// Arrival time of a reliable message of `bytes` sent now from `from` to `to` (distinct
    /// nodes), and the number of transmissions it took.
    #[inline]
    pub fn send_reliable(
        &mut self,
        network: &Network,
        from: NodeId,
        to: NodeId,
        bytes: u32,
        now: SimTime,
    ) -> (SimTime, u32) {
        let link = network.link(from, to);
        let rng = &mut self.rngs[from.index()];
        // Transmissions lost before the first success are geometric, P(k) = p^k·(1 − p):
        // drawn by inversion in O(1), so a loss close to 1 cannot stall the run.
        let lost = if link.loss > 0.0 {
            let u = 1.0 - crate::model::unit_draw(rng); // in (0, 1]
            (u.ln() / link.loss.ln())
                .floor()
                .min(f64::from(u32::MAX - 1)) as u32
        } else {
            0
        };
        let attempts = lost + 1;
        let retry_delay = SimDuration::from_nanos(
            link.retransmit_timeout
                .as_nanos()
                .saturating_mul(u64::from(lost)),
        );
        let i = from.index() * self.nodes + to.index();
        // Saturating arithmetic: an overloaded link's backlog grows without bound, and a
        // message that would arrive after the end of time simply never arrives.
        let start = now.max(self.free_at[i]);
        self.free_at[i] = start.saturating_add(link.serialisation(bytes));
        let arrival = self.free_at[i]
            .saturating_add(retry_delay)
            .saturating_add(link.latency.sample(rng))
            .max(self.last_arrival[i]);
        self.last_arrival[i] = arrival;
        (arrival, attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DurationDist, Link};

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
        let (a, _) = ch.send_reliable(&net, NodeId(0), NodeId(1), 1000, SimTime::ZERO);
        // 1000 B at 1 MB/s = 1 ms on the wire, + 1 ms latency.
        assert_eq!(a, SimTime::from_nanos(2_000_000));
        let (b, _) = ch.send_reliable(&net, NodeId(0), NodeId(1), 1000, SimTime::ZERO);
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
            let (t, _) = ch.send_reliable(
                &net,
                NodeId(0),
                NodeId(1),
                10,
                SimTime::from_nanos(k * 1000),
            );
            assert!(t >= last);
            last = t;
        }
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
            .map(|_| {
                u64::from(
                    ch.send_reliable(&net, NodeId(0), NodeId(1), 10, SimTime::ZERO)
                        .1,
                )
            })
            .sum();
        let mean = total as f64 / f64::from(N);
        let se = 0.559 / f64::from(N).sqrt();
        assert!((mean - 1.25).abs() < 4.0 * se, "mean attempts {mean}");
    }
}
