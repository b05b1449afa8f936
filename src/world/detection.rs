//! Failure detection over the simulated network, and failover to spare nodes.
//!
//! Every node but the coordinator sends a heartbeat datagram to the coordinator every
//! `interval`, starting at a random phase (so that a crash falls at a uniformly random point
//! of the heartbeat cycle). Datagrams are lost with the link's loss probability and cut by
//! partitions. After each heartbeat the detector returns a suspicion deadline; the world arms
//! a `SuspectTimeout` tagged with the detector's generation for that node, and a stale tag
//! means a later heartbeat re-armed it. On suspicion, the instances of the suspected node
//! move to the least-loaded live spare and restart there — also when the suspicion is false,
//! because a coordinator cannot tell a slow node from a dead one (the suspected node's
//! instances are fenced off: stopped and restarted elsewhere). Without spares, instances wait
//! for their node's repair.

use rand::SeedableRng;

use super::{Event, Status, World};
use crate::metrics::EpisodeKind;
use crate::model::{InstanceId, NodeId, unit_draw};
use crate::sim::{Ctx, Engine, SimDuration, SimRng, SimTime, Stream, derive_seed};

/// Index of the strategy stream that draws heartbeat phases (index 0 draws restart delays).
const PHASE_STREAM: u32 = 1;

impl World<'_> {
    /// Arms the detector for every monitored node and schedules each node's first heartbeat.
    pub(super) fn start_heartbeats(&mut self, engine: &mut Engine<Event>) {
        let (Some(detector), Some(config), Some(coordinator)) = (
            self.detector.as_mut(),
            self.ft.detector.as_ref(),
            self.ft.coordinator,
        ) else {
            return;
        };
        let interval = config.interval().as_nanos();
        let mut phases = SimRng::seed_from_u64(derive_seed(
            self.master_seed,
            self.replication,
            Stream::Strategy,
            PHASE_STREAM,
        ));
        for n in 0..self.nodes.len() as u32 {
            let node = NodeId(n);
            let phase = (unit_draw(&mut phases) * interval as f64) as u64;
            if node == coordinator {
                continue;
            }
            // Registration at time zero counts as a first heartbeat.
            let deadline = detector.heartbeat(node, SimTime::ZERO);
            let generation = detector.generation(node) as u32;
            engine.schedule_at(deadline, Event::SuspectTimeout { node, generation });
            engine.schedule_at(
                SimTime::from_nanos(phase),
                Event::HeartbeatTick {
                    node,
                    incarnation: 0,
                },
            );
        }
    }

    pub(super) fn on_heartbeat_tick(
        &mut self,
        node: NodeId,
        incarnation: u32,
        cx: &mut Ctx<'_, Event>,
    ) {
        let (Some(config), Some(coordinator)) = (self.ft.detector.as_ref(), self.ft.coordinator)
        else {
            return;
        };
        let n = &self.nodes[node.index()];
        if !n.up || n.incarnation != incarnation {
            return; // a crashed node falls silent; its repair starts a new heartbeat chain
        }
        let condition = self.link_condition(node, coordinator);
        self.control_messages += 1;
        let network = &self.scenario.cluster.network;
        if let Some(at) =
            self.channels
                .send_datagram(network, node, coordinator, cx.now(), &condition)
        {
            cx.schedule_at(at, Event::HeartbeatArrive { from: node });
        }
        cx.schedule_in(
            config.interval(),
            Event::HeartbeatTick { node, incarnation },
        );
    }

    /// A repaired node starts heartbeating again at once.
    pub(super) fn resume_heartbeats(&mut self, node: NodeId, cx: &mut Ctx<'_, Event>) {
        let incarnation = self.nodes[node.index()].incarnation;
        if self.detector.is_some() && Some(node) != self.ft.coordinator {
            cx.schedule_in(
                SimDuration::ZERO,
                Event::HeartbeatTick { node, incarnation },
            );
        }
        // A repaired coordinator re-arms every suspicion timer (the ones that fired while it
        // was down were ignored).
        if Some(node) == self.ft.coordinator
            && let Some(detector) = self.detector.as_mut()
        {
            let now = cx.now();
            for n in 0..self.nodes.len() as u32 {
                let watched = NodeId(n);
                if watched == node {
                    continue;
                }
                let deadline = detector.heartbeat(watched, now);
                let generation = detector.generation(watched) as u32;
                cx.schedule_at(
                    deadline,
                    Event::SuspectTimeout {
                        node: watched,
                        generation,
                    },
                );
            }
        }
    }

    pub(super) fn on_heartbeat_arrive(&mut self, from: NodeId, cx: &mut Ctx<'_, Event>) {
        let coordinator = self.ft.coordinator.expect("heartbeats need a coordinator");
        if !self.nodes[coordinator.index()].up {
            return;
        }
        let detector = self.detector.as_mut().expect("heartbeats need a detector");
        let deadline = detector.heartbeat(from, cx.now());
        let generation = detector.generation(from) as u32;
        cx.schedule_at(
            deadline,
            Event::SuspectTimeout {
                node: from,
                generation,
            },
        );
        self.suspected[from.index()] = false;
    }

    pub(super) fn on_suspect_timeout(
        &mut self,
        node: NodeId,
        generation: u32,
        cx: &mut Ctx<'_, Event>,
    ) {
        let coordinator = self.ft.coordinator.expect("timeouts need a coordinator");
        let detector = self.detector.as_ref().expect("timeouts need a detector");
        if detector.generation(node) as u32 != generation
            || self.suspected[node.index()]
            || !self.nodes[coordinator.index()].up
        {
            return; // re-armed by a later heartbeat, already suspected, or nobody to decide
        }
        self.suspected[node.index()] = true;
        let now = cx.now();
        let actually_down = !self.nodes[node.index()].up;
        self.recorder.suspicion(node.0, now, actually_down);
        self.fail_over(node, actually_down, cx);
        let affected = self.instances.iter().any(|s| s.status != Status::Running);
        if affected {
            self.after_failure(cx);
        }
    }

    /// Moves the instances of a suspected node to live spares and restarts them there.
    fn fail_over(&mut self, node: NodeId, actually_down: bool, cx: &mut Ctx<'_, Event>) {
        let spares = &self.ft.spares;
        if spares.is_empty() && self.standby.is_empty() {
            return;
        }
        let now = cx.now();
        let moving = self.instances_on(node);
        if !actually_down && !moving.is_empty() {
            // A false suspicion still costs a failover: the live instances are fenced off.
            for &i in &moving {
                if self.instances[i].status != Status::Down {
                    self.crash_instance(InstanceId(i as u32), now);
                }
            }
            self.episode(EpisodeKind::FalseFailover, node.0, now, &moving);
            if self.standby_sync_continuous {
                // A fenced primary that still runs may have output on the wire that its
                // standby's replay repeats (no epoch fencing at the receivers): at best a
                // rollback.
                for &i in &moving {
                    let logical = self.instances[i].logical.index();
                    self.recorder.fall_back(logical);
                }
            }
        }
        for i in moving {
            let usable =
                |w: &Self, n: NodeId| n != node && w.nodes[n.index()].up && !w.suspected[n.index()];
            // A passive standby on a usable node is promoted; its old primary's node becomes
            // the standby's place once it runs again.
            let logical = self.instances[i].logical.index();
            if let Some(Some(standby)) = self.standby.get(logical).copied()
                && usable(self, standby)
            {
                self.standby[logical] = Some(node);
                self.place(i, standby);
                self.instances[i].promoting = true;
                if self.instances[i].status == Status::Down {
                    self.restart(InstanceId(i as u32), cx);
                }
                continue;
            }
            // Otherwise the least-loaded spare that runs, is not itself suspected and holds
            // no other copy of the instance; ties to the first.
            let copies: Vec<NodeId> = self
                .groups
                .get(logical)
                .map(|g| g.iter().map(|c| self.instances[c.index()].node).collect())
                .unwrap_or_default();
            let target = spares
                .iter()
                .copied()
                .filter(|&s| usable(self, s) && !copies.contains(&s))
                .min_by_key(|s| self.instances.iter().filter(|x| x.node == *s).count());
            let Some(spare) = target else {
                // No usable spare: instances fenced off a live node restart where they are;
                // those of a dead node wait for its repair.
                if self.nodes[self.instances[i].node.index()].up
                    && self.instances[i].status == Status::Down
                {
                    self.restart(InstanceId(i as u32), cx);
                }
                continue;
            };
            let id = InstanceId(i as u32);
            self.place(i, spare);
            if self.instances[i].status == Status::Down {
                self.restart(id, cx);
            }
        }
    }
}
