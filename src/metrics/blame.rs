//! Blaming losses and duplicates on the recovery episodes that caused them.
//!
//! The ledger dates every lost source event (its last drop) and every duplicate (when it was
//! processed again); the episodes say when each fault struck and when its recovery ended.
//! Episodes whose spans `[fault, recovered]` overlap form one *incident*: their effects cannot
//! be told apart (a second crash during a recovery, two nodes down at once), so an incident
//! is judged by its weakest member. An event dated `t` is blamed on the latest incident that
//! fell back among those that could have touched it — begun by `t`, still acting when the
//! event was created — else on the last incident begun by `t`; within an incident, on its
//! first episode that fell back, else its first episode.
//! What happens before the first fault is blamed on nothing: no strategy may lose or
//! duplicate anything then.

use super::Episode;
use crate::ft::Condition;
use crate::sim::SimTime;

/// Losses and duplicates dated before any fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unblamed {
    /// Source events lost.
    pub lost: u64,
    /// Source events processed twice.
    pub duplicated: u64,
    /// Source events visible twice at a sink.
    pub visible_duplicated: u64,
}

/// What happened to a blamed event.
#[derive(Clone, Copy)]
enum Harm {
    Lost,
    Duplicated,
    VisibleTwice,
}

/// Adds to each episode's `lost`, `duplicated` and `visible_duplicated` the events blamed on
/// it; `episodes` are in fault order, `losses`, `duplicates` and `visible` (events a sink
/// made visible a second time) are (creation, time) pairs of events (any order).
///
/// An event can only be hurt by an incident that was still acting when it was created (its
/// fault struck before the loss or duplicate, and its recovery — detection, restore, the end
/// of catch-up — reached past the event's creation): it is blamed on the latest such
/// incident that fell back (a replay of a rollback may arrive after a later, masked fault),
/// and if none did, on the last incident that began before it.
pub fn blame(
    episodes: &mut [Episode],
    losses: &[(SimTime, SimTime)],
    duplicates: &[(SimTime, SimTime)],
    visible: &[(SimTime, SimTime)],
) -> Unblamed {
    // Incidents as (start, reach, index of the episode that answers for it), by start.
    let mut incidents: Vec<(SimTime, SimTime, usize)> = Vec::new();
    for (k, e) in episodes.iter().enumerate() {
        let reach = reach(e);
        match incidents.last_mut() {
            Some((_, end, answer)) if e.fault_at <= *end => {
                if episodes[*answer].condition == Condition::Primary
                    && e.condition == Condition::Fallback
                {
                    *answer = k;
                }
                *end = (*end).max(reach);
            }
            _ => incidents.push((e.fault_at, reach, k)),
        }
    }
    // Latest reach among incidents 0..=k: scanning back, once it falls below an event's
    // creation no earlier incident can have touched the event.
    let reach_so_far: Vec<SimTime> = incidents
        .iter()
        .scan(SimTime::ZERO, |m, &(_, r, _)| {
            *m = (*m).max(r);
            Some(*m)
        })
        .collect();
    let mut unblamed = Unblamed::default();
    let mut count = |(created, t): (SimTime, SimTime), episodes: &mut [Episode], harm: Harm| {
        let last = incidents.partition_point(|&(start, _, _)| start <= t);
        // The latest incident that fell back and could have touched the event: it began
        // before the loss or duplicate and was still acting when the event was created.
        let fallback = (0..last)
            .rev()
            .take_while(|&k| reach_so_far[k] >= created)
            .map(|k| incidents[k])
            .find(|&(_, reach, e)| {
                reach >= created && episodes[e].condition == Condition::Fallback
            });
        let answer = fallback
            .or_else(|| last.checked_sub(1).map(|k| incidents[k]))
            .map(|(_, _, e)| e);
        let slot = match answer {
            Some(e) => {
                let e = &mut episodes[e];
                match harm {
                    Harm::Lost => &mut e.lost,
                    Harm::Duplicated => &mut e.duplicated,
                    Harm::VisibleTwice => &mut e.visible_duplicated,
                }
            }
            None => match harm {
                Harm::Lost => &mut unblamed.lost,
                Harm::Duplicated => &mut unblamed.duplicated,
                Harm::VisibleTwice => &mut unblamed.visible_duplicated,
            },
        };
        *slot += 1;
    };
    for &l in losses {
        count(l, episodes, Harm::Lost);
    }
    for &d in duplicates {
        count(d, episodes, Harm::Duplicated);
    }
    for &d in visible {
        count(d, episodes, Harm::VisibleTwice);
    }
    unblamed
}

/// Until when an episode may act on events: its recovery's end, and at least its detection
/// and restore — a crash masked by a live copy is "recovered" at once, yet the rollback it
/// falls back to happens at its detection and rolls back events created before it.
fn reach(e: &Episode) -> SimTime {
    let end = e.recovered_at.unwrap_or(SimTime::NEVER);
    [e.detected_at, e.restored_at]
        .into_iter()
        .flatten()
        .fold(end, SimTime::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{AvailabilityTracker, EpisodeKind};

    fn t(s: f64) -> SimTime {
        SimTime::from_secs_f64(s)
    }

    /// Episodes: A [10, 12], B [11, 15] (overlaps A; falls back), C [20, never].
    fn episodes() -> Vec<Episode> {
        let mut a = AvailabilityTracker::new(3, t(0.0), t(100.0));
        a.instance_down(0, t(10.0));
        a.open_episode(EpisodeKind::NodeCrash, 0, t(10.0), &[0]);
        a.instance_down(1, t(11.0));
        a.open_episode(EpisodeKind::NodeCrash, 1, t(11.0), &[1]);
        a.fall_back(1);
        a.instance_up(0, t(12.0));
        a.instance_up(1, t(15.0));
        a.instance_down(2, t(20.0));
        a.open_episode(EpisodeKind::NodeCrash, 2, t(20.0), &[2]);
        a.finish().episodes
    }

    #[test]
    fn overlapping_episodes_answer_through_their_weakest_member() {
        let mut e = episodes();
        let z = SimTime::ZERO;
        let before = blame(
            &mut e,
            &[(z, t(5.0)), (z, t(10.5)), (z, t(13.0)), (z, t(19.0))],
            &[(t(10.0), t(10.0)), (t(25.0), t(30.0))],
            &[(t(3.0), t(4.0)), (t(25.0), t(30.0))],
        );
        assert_eq!(
            before,
            Unblamed {
                lost: 1,
                duplicated: 0,
                visible_duplicated: 1,
            }
        );
        // Visible duplicates are blamed like duplicates: 30 s falls to C.
        assert_eq!(
            (
                e[0].visible_duplicated,
                e[1].visible_duplicated,
                e[2].visible_duplicated
            ),
            (0, 0, 1)
        );
        // 10.5, 13 and 19 fall in the A+B incident and go to B, which fell back.
        assert_eq!((e[0].lost, e[1].lost, e[2].lost), (0, 3, 0));
        assert_eq!(
            (e[0].duplicated, e[1].duplicated, e[2].duplicated),
            (0, 1, 1)
        );
    }

    #[test]
    fn an_unfinished_episode_swallows_every_later_fault_into_its_incident() {
        let mut e = episodes();
        // C never recovers: anything after 20 s is C's.
        blame(&mut e, &[(t(21.0), t(99.0)), (t(21.0), t(100.0))], &[], &[]);
        assert_eq!(e[2].lost, 2);
    }

    /// Found by the explorer (seed 1202, case 74): a crash masked by active copies counts as
    /// recovered at once, yet at its detection it fell back to a global rollback, which rolled
    /// back events created between the crash and the detection; their replays, duplicated
    /// after a later hang, are the crash's, not the hang's.
    #[test]
    fn an_event_created_between_a_fault_and_its_rollback_is_the_rollbacks() {
        let mut a = AvailabilityTracker::new(2, t(0.0), t(100.0));
        a.open_episode(EpisodeKind::NodeCrash, 0, t(14.0), &[0]);
        a.suspicion(0, t(14.8), true);
        a.fall_back_latest();
        a.instance_down(1, t(19.0));
        a.open_episode(EpisodeKind::Hang, 1, t(19.0), &[1]);
        a.instance_up(1, t(20.0));
        let mut e = a.finish().episodes;
        assert_eq!(
            e[0].recovered_at,
            Some(t(14.0)),
            "masked: recovered at once"
        );
        blame(&mut e, &[], &[(t(14.5), t(21.0)), (t(15.0), t(21.0))], &[]);
        // Created after the rollback: the hang's (the last incident before it).
        assert_eq!((e[0].duplicated, e[1].duplicated), (1, 1));
    }

    #[test]
    fn a_late_replay_is_blamed_on_the_fallback_that_caused_it_not_a_later_masked_fault() {
        let mut a = AvailabilityTracker::new(2, t(0.0), t(100.0));
        a.instance_down(0, t(10.0));
        a.open_episode(EpisodeKind::NodeCrash, 0, t(10.0), &[0]);
        a.fall_back(0);
        a.instance_up(0, t(12.0));
        // Masked: nothing went down.
        a.open_episode(EpisodeKind::NodeCrash, 1, t(13.0), &[1]);
        let mut e = a.finish().episodes;
        // Created before the first fault, duplicated after the masked one.
        blame(&mut e, &[], &[(t(9.0), t(13.5)), (t(12.5), t(13.5))], &[]);
        assert_eq!((e[0].duplicated, e[1].duplicated), (1, 1));
    }
}
