//! Copies of instances: active replicas and passive standbys, and availability per logical
//! instance.
//!
//! Under active replication every processing instance (the *logical* instance of the graph)
//! runs as a group of copies on distinct nodes: the primary keeps the graph's instance id,
//! the others are appended after the graph's instances. A sender sends every event to each
//! copy of its target; every receiver keeps the first copy of each event id (a [`Dedup`]
//! filter) and counts the others as absorbed. A logical instance is up while any copy
//! serves, so availability and episodes are kept per logical instance.

use std::collections::{HashSet, VecDeque};

use super::keys::KeyBuild;
use super::{Event, Incomplete, Status, World};
use crate::metrics::EpisodeKind;
use crate::model::{InstanceId, NodeId, OperatorKind};
use crate::sim::{Ctx, SimDuration, SimTime};

/// How long a receiver remembers an event id. Copies of one event normally arrive within
/// milliseconds of each other; a partition can hold one back until it heals, so the horizon
/// is generous. A copy later than this is processed again and shows up as a duplicate.
const DEDUP_HORIZON: SimDuration = SimDuration::from_millis(120_000);

/// First-copy filter of a receiver under active replication.
#[derive(Debug, Default)]
pub(super) struct Dedup {
    seen: HashSet<u64, KeyBuild>,
    order: VecDeque<(SimTime, u64)>,
}

impl Dedup {
    /// Forgets every id (the instance crashed).
    pub(super) fn clear(&mut self) {
        self.seen.clear();
        self.order.clear();
    }

    /// Whether this is the first copy of `id` within the horizon.
    #[inline]
    pub(super) fn first_copy(&mut self, id: u64, now: SimTime) -> bool {
        while let Some(&(t, old)) = self.order.front()
            && t.saturating_add(DEDUP_HORIZON) < now
        {
            self.order.pop_front();
            self.seen.remove(&old);
        }
        if self.seen.insert(id) {
            self.order.push_back((now, id));
            true
        } else {
            false
        }
    }
}

/// Nodes for the copies of an instance on `primary`: the next `copies - 1` of `workers`
/// after it, cyclically (distinct nodes, so that one crash takes one copy).
pub(super) fn replica_nodes(primary: NodeId, workers: &[NodeId], copies: u32) -> Vec<NodeId> {
    let start = workers.iter().position(|&n| n == primary).unwrap_or(0);
    (1..workers.len())
        .map(|k| workers[(start + k) % workers.len()])
        .filter(|&n| n != primary)
        .take(copies.saturating_sub(1) as usize)
        .collect()
}

impl World<'_> {
    /// Whether instance `i` serves its partitions now.
    fn serves(&self, i: usize) -> bool {
        let s = &self.instances[i];
        s.status == Status::Running && !s.hung && s.catching_up_since.is_none()
    }

    /// Instance `i` stopped serving: its logical instance is down unless another copy serves.
    pub(super) fn unit_down(&mut self, i: InstanceId, now: SimTime) {
        let logical = self.instances[i.index()].logical;
        let covered = self
            .groups
            .get(logical.index())
            .is_some_and(|g| g.iter().any(|&c| c != i && self.serves(c.index())));
        if !covered {
            self.recorder.instance_down(logical.index(), now);
        }
    }

    /// Instance `i` serves again: so does its logical instance.
    pub(super) fn unit_up(&mut self, i: InstanceId, now: SimTime) {
        let logical = self.instances[i.index()].logical;
        self.recorder.instance_up(logical.index(), now);
    }

    /// Instance `i` runs again (restarted, restored or promoted).
    pub(super) fn unit_restored(&mut self, i: InstanceId, now: SimTime) {
        let logical = self.instances[i.index()].logical;
        self.recorder.instance_restored(logical.index(), now);
    }

    /// Opens an episode for a fault at `now` that hit `instances` (world indices); an
    /// instance `target` is named by its logical instance.
    pub(super) fn episode(
        &mut self,
        kind: EpisodeKind,
        target: u32,
        now: SimTime,
        instances: &[usize],
    ) {
        let mut units: Vec<usize> = instances
            .iter()
            .map(|&i| self.instances[i].logical.index())
            .collect();
        units.sort_unstable();
        units.dedup();
        let target = match kind {
            EpisodeKind::InstanceCrash | EpisodeKind::Hang | EpisodeKind::CheckpointFailover => {
                self.instances[target as usize].logical.0
            }
            EpisodeKind::NodeCrash | EpisodeKind::FalseFailover => target,
        };
        self.recorder.open_episode(kind, target, now, &units);
        // Under active replication an instance (other than a source) with no complete
        // running copy left has lost what the copies were for: the episode falls back.
        for &u in &units {
            if let Some(g) = self.groups.get(u)
                && self.instances[u].source.is_none()
                && !g.iter().any(|&c| self.complete_copy(c))
            {
                self.recorder.fall_back_latest();
                if self.checkpoints.is_none() {
                    // Nothing better will come: the incomplete copies are what is left.
                    for c in self.groups[u].clone() {
                        self.make_complete(c);
                    }
                }
            }
        }
    }

    /// Whether copy `c` runs and stands for the whole stream (not rebuilt and incomplete).
    pub(super) fn complete_copy(&self, c: InstanceId) -> bool {
        let s = &self.instances[c.index()];
        s.status == Status::Running && s.incomplete.is_none()
    }

    /// Whether some logical instance has no complete running copy left (sources too when
    /// `with_sources`; a source's log survives it, so losing one loses no state).
    pub(super) fn some_unit_lost(&self, with_sources: bool) -> bool {
        self.groups.iter().any(|g| {
            let first = &self.instances[g[0].index()];
            (with_sources || first.source.is_none()) && !g.iter().any(|&c| self.complete_copy(c))
        })
    }

    /// A copy rebuilt from `peer` missed what arrived during its rebuild: incomplete until
    /// a checkpoint started after now completes, or without checkpoints until `peer` has
    /// served everything it had received by now.
    pub(super) fn mark_rebuilt(&mut self, i: InstanceId, peer: InstanceId) {
        let incomplete = match self.checkpoints.as_ref() {
            Some(c) => Incomplete::UntilCheckpoint(c.next_id()),
            None => {
                self.incomplete_copies += 1;
                Incomplete::UntilPeerServed {
                    peer,
                    served: self.instances[peer.index()].enqueued,
                }
            }
        };
        self.instances[i.index()].incomplete = Some(incomplete);
    }

    /// Clears `i`'s incompleteness (counting the copies that wait on a peer).
    pub(super) fn make_complete(&mut self, i: InstanceId) {
        if let Some(Incomplete::UntilPeerServed { .. }) = self.instances[i.index()].incomplete {
            self.incomplete_copies -= 1;
        }
        self.instances[i.index()].incomplete = None;
    }

    /// Instance `p` served an event: copies waiting on it may be complete now.
    pub(super) fn copies_served_by(&mut self, p: InstanceId) {
        let logical = self.instances[p.index()].logical.index();
        let Some(group) = self.groups.get(logical) else {
            return;
        };
        let served = self.instances[p.index()].served;
        for k in 0..group.len() {
            let c = self.groups[logical][k];
            if let Some(Incomplete::UntilPeerServed {
                peer,
                served: until,
            }) = self.instances[c.index()].incomplete
                && peer == p
                && served >= until
            {
                self.make_complete(c);
            }
        }
    }

    /// Checkpoint `checkpoint` completed: copies rebuilt before it started are complete.
    pub(super) fn complete_copies_at(&mut self, checkpoint: u32) {
        for i in 0..self.instances.len() {
            if let Some(Incomplete::UntilCheckpoint(from)) = self.instances[i].incomplete
                && checkpoint >= from
            {
                self.instances[i].incomplete = None;
            }
        }
    }

    /// Under active replication, a rollback has done its work once nothing is restarting and
    /// every logical instance runs somewhere (copies on dead nodes are rebuilt from a peer
    /// once their node returns); otherwise once every instance runs.
    pub(super) fn rollback_done(&self) -> bool {
        if self.groups.is_empty() {
            return self.instances.iter().all(|s| s.status == Status::Running);
        }
        !self
            .instances
            .iter()
            .any(|s| s.status == Status::Restarting)
            && !self.some_unit_lost(true)
    }

    /// Whether another copy of `i` runs (with state to copy).
    pub(super) fn live_peer(&self, i: InstanceId) -> Option<InstanceId> {
        let logical = self.instances[i.index()].logical;
        self.groups
            .get(logical.index())
            .and_then(|g| g.iter().copied().find(|&c| c != i && self.complete_copy(c)))
    }

    /// Sends `event` to every copy of logical instance `to` (one send without replicas).
    #[inline(always)]
    pub(super) fn send(
        &mut self,
        from: InstanceId,
        to: InstanceId,
        event: crate::model::DataEvent,
        cx: &mut Ctx<'_, Event>,
    ) {
        let copies = self.groups.get(to.index()).map_or(0, Vec::len);
        if copies <= 1 {
            return self.send_one(from, to, event, cx);
        }
        if event.id != super::BARRIER_ID {
            self.recorder.spawned(copies as u64 - 1);
        }
        for k in 0..copies {
            let c = self.groups[to.index()][k];
            self.send_one(from, c, event, cx);
        }
    }

    /// The node a passive standby of instance `i` sits on: a spare (round robin over the
    /// processing instances) or, without spares, the next node that is neither the
    /// coordinator nor the primary's.
    pub(super) fn standby_node(&self, i: usize, ordinal: usize) -> Option<NodeId> {
        let primary = self.instances[i].node;
        let spares = &self.ft.spares;
        if !spares.is_empty() {
            let n = spares[ordinal % spares.len()];
            return (n != primary).then_some(n);
        }
        let nodes = self.nodes.len() as u32;
        (1..nodes)
            .map(|k| NodeId((primary.0 + k) % nodes))
            .find(|&n| Some(n) != self.ft.coordinator)
    }

    /// Whether instances of this kind get copies or standbys (sources and sinks stand for
    /// external endpoints).
    pub(super) fn replicable(kind: &OperatorKind) -> bool {
        matches!(kind, OperatorKind::Map { .. } | OperatorKind::Window { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_go_to_the_next_distinct_workers() {
        let w = [NodeId(1), NodeId(2), NodeId(3)];
        assert_eq!(replica_nodes(NodeId(2), &w, 2), [NodeId(3)]);
        assert_eq!(replica_nodes(NodeId(3), &w, 3), [NodeId(1), NodeId(2)]);
        // A primary outside the workers (a named placement) starts at the first.
        assert_eq!(replica_nodes(NodeId(9), &w, 2), [NodeId(2)]);
    }

    #[test]
    fn dedup_keeps_the_first_copy_within_the_horizon() {
        let mut d = Dedup::default();
        let t = SimTime::from_secs_f64;
        assert!(d.first_copy(7, t(1.0)));
        assert!(!d.first_copy(7, t(1.001)));
        assert!(d.first_copy(8, t(1.002)));
        // Far beyond the horizon the id is forgotten.
        assert!(d.first_copy(7, t(500.0)));
    }
}
