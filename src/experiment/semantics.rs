//! The guarantee oracle across replications: every recovery episode judged against the
//! guarantee its strategy gives under the condition the episode fell in.
//!
//! Each replication's episodes carry their [`Condition`] (decided by the world as the
//! recovery unfolded) and the losses and duplicates blamed on them (see
//! [`mod@crate::metrics::blame`]). An episode whose blamed loss or duplicates its guarantee does
//! not allow is a [`Violation`] — a simulator defect, never a result: `run`, `sweep` and
//! `gate` fail on it. Losses or duplicates before any fault are a violation for every
//! strategy.

use std::fmt;

use super::RunResult;
use crate::ft::{Condition, RecoverySemantics};
use crate::metrics::{Episode, EpisodeKind};
use crate::scenario::Scenario;

/// How a variant's episodes of one condition fared.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionCheck {
    /// The condition.
    pub condition: Condition,
    /// What it means for this strategy.
    pub text: &'static str,
    /// The guarantee that applies under it.
    pub guarantee: RecoverySemantics,
    /// Episodes that fell under it, over every replication.
    pub episodes: usize,
    /// Of those, episodes blamed for a loss.
    pub with_loss: usize,
    /// Of those, episodes blamed for a duplicate.
    pub with_duplicates: usize,
    /// Source events lost, blamed on these episodes.
    pub lost: u64,
    /// Source events duplicated, blamed on these episodes.
    pub duplicated: u64,
    /// Source events a sink made visible twice, blamed on these episodes.
    pub visible_duplicated: u64,
}

/// An episode whose loss or duplicates its guarantee does not allow.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Variant label.
    pub variant: String,
    /// Replication.
    pub replication: u32,
    /// Episode kind (`node-crash`, …), or `before-any-fault`.
    pub kind: &'static str,
    /// The episode's target (node name or `operator#index`); empty before any fault.
    pub target: String,
    /// When the fault struck \[s\]; 0 before any fault.
    pub fault_s: f64,
    /// The condition it fell under.
    pub condition: Condition,
    /// The guarantee that applied.
    pub guarantee: RecoverySemantics,
    /// Source events lost, blamed on it.
    pub lost: u64,
    /// Source events duplicated, blamed on it.
    pub duplicated: u64,
    /// Source events a sink made visible twice, blamed on it.
    pub visible_duplicated: u64,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == "before-any-fault" {
            write!(
                f,
                "variant {} replication {}: {} lost, {} duplicated and {} visible twice \
                 before any fault",
                self.variant, self.replication, self.lost, self.duplicated, self.visible_duplicated
            )
        } else {
            write!(
                f,
                "variant {} replication {}: {} of {} at {:.3} s ({} condition, guarantees {}) \
                 lost {}, duplicated {} and made {} visible twice",
                self.variant,
                self.replication,
                self.kind,
                self.target,
                self.fault_s,
                self.condition.label(),
                self.guarantee.label(),
                self.lost,
                self.duplicated,
                self.visible_duplicated
            )
        }
    }
}

/// A variant's declared recovery semantics against what its episodes measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SemanticsCheck {
    /// Variant label.
    pub variant: String,
    /// Replication strategy (`none`, `active`, …).
    pub strategy: &'static str,
    /// What the strategy claims when its own mechanism works (its headline guarantee).
    pub declared: RecoverySemantics,
    /// Per condition, strongest first.
    pub conditions: Vec<ConditionCheck>,
    /// Every episode that broke its guarantee.
    pub violations: Vec<Violation>,
    /// Replications that lost at least one source event.
    pub replications_with_loss: usize,
    /// Replications that processed at least one source event twice.
    pub replications_with_duplicates: usize,
    /// Mean events lost per replication.
    pub lost_mean: f64,
    /// Mean events processed twice per replication.
    pub duplicated_mean: f64,
    /// Replications checked.
    pub n: usize,
}

impl SemanticsCheck {
    /// Whether every episode kept the guarantee of its condition.
    pub fn holds(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Names an episode's target: a node's name, or `operator#index` for an instance.
pub fn target_name(scenario: &Scenario, e: &Episode) -> String {
    match e.kind {
        EpisodeKind::NodeCrash | EpisodeKind::FalseFailover => scenario
            .cluster
            .nodes
            .get(e.target as usize)
            .map_or(String::new(), |n| n.name.clone()),
        EpisodeKind::InstanceCrash | EpisodeKind::Hang | EpisodeKind::CheckpointFailover => {
            scenario
                .graph
                .instances
                .get(e.target as usize)
                .map_or(String::new(), |i| {
                    format!("{}#{}", scenario.graph.operator(i.operator).name, i.index)
                })
        }
    }
}

impl RunResult {
    /// Every variant's episodes judged against its strategy's conditional guarantees.
    pub fn semantics(&self) -> Vec<SemanticsCheck> {
        self.scenario
            .variants
            .iter()
            .zip(&self.cells)
            .map(|(v, cell)| {
                let ft = &v.fault_tolerance;
                let strategy = ft.replication.strategy();
                let mut conditions: Vec<ConditionCheck> = Condition::ALL
                    .iter()
                    .map(|&condition| ConditionCheck {
                        condition,
                        text: strategy.condition_text(condition),
                        guarantee: ft.guarantee(condition),
                        episodes: 0,
                        with_loss: 0,
                        with_duplicates: 0,
                        lost: 0,
                        duplicated: 0,
                        visible_duplicated: 0,
                    })
                    .collect();
                let mut violations = Vec::new();
                for (r, rep) in cell.replications.iter().enumerate() {
                    let u = rep.unblamed;
                    if u.lost > 0 || u.duplicated > 0 || u.visible_duplicated > 0 {
                        violations.push(Violation {
                            variant: cell.label.clone(),
                            replication: r as u32,
                            kind: "before-any-fault",
                            target: String::new(),
                            fault_s: 0.0,
                            condition: Condition::Primary,
                            guarantee: RecoverySemantics::Precise,
                            lost: u.lost,
                            duplicated: u.duplicated,
                            visible_duplicated: u.visible_duplicated,
                        });
                    }
                    for e in &rep.episodes {
                        let c = &mut conditions[e.condition as usize];
                        c.episodes += 1;
                        c.with_loss += usize::from(e.lost > 0);
                        c.with_duplicates += usize::from(e.duplicated > 0);
                        c.lost += e.lost;
                        c.duplicated += e.duplicated;
                        c.visible_duplicated += e.visible_duplicated;
                        if !c
                            .guarantee
                            .allows(e.lost, e.duplicated, e.visible_duplicated)
                        {
                            violations.push(Violation {
                                variant: cell.label.clone(),
                                replication: r as u32,
                                kind: e.kind.label(),
                                target: target_name(&self.scenario, e),
                                fault_s: e.fault_at.as_secs_f64(),
                                condition: e.condition,
                                guarantee: c.guarantee,
                                lost: e.lost,
                                duplicated: e.duplicated,
                                visible_duplicated: e.visible_duplicated,
                            });
                        }
                    }
                }
                let lost = cell.values("events_lost");
                let dup = cell.values("events_duplicated");
                let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
                SemanticsCheck {
                    variant: cell.label.clone(),
                    strategy: strategy.label(),
                    declared: ft.guarantee(Condition::Primary),
                    conditions,
                    violations,
                    replications_with_loss: lost.iter().filter(|&&x| x > 0.0).count(),
                    replications_with_duplicates: dup.iter().filter(|&&x| x > 0.0).count(),
                    lost_mean: mean(&lost),
                    duplicated_mean: mean(&dup),
                    n: cell.replications.len(),
                }
            })
            .collect()
    }
}
