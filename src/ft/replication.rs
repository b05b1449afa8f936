//! Replication strategies: what stands by for an operator instance, and how a failed one is
//! replaced.
//!
//! Every strategy answers the same questions through [`ReplicationStrategy`], and the world
//! acts on the answers: how many copies of each processing instance run at once, whether
//! checkpoints write operator state, whether a failure rolls back the whole job or only the
//! failed instances (replaying from upstream output logs), and how long a replacement takes
//! and where its state comes from. Each strategy also *declares* its recovery semantics; the
//! loss and duplicate metrics check the claim instead of assuming it.
//!
//! A guarantee is *conditional*: every recovery episode falls under one [`Condition`] —
//! the strategy's own mechanism worked ([`Condition::Primary`]) or it was not available and
//! recovery fell back on something weaker ([`Condition::Fallback`]) — and the strategy says
//! what it guarantees under each, with and without checkpoints. The world decides the
//! condition of each episode as the recovery unfolds; the semantics check judges each
//! episode's loss and duplicates against the guarantee of its condition.
//!
//! | strategy | runs | on failure | primary: guarantee | fallback: when, guarantee |
//! |---|---|---|---|---|
//! | [`NoReplication`] | one copy, checkpoints | restart, restore, roll back | rollback (gap without checkpoints) | — |
//! | [`ActiveReplication`] | k copies on distinct nodes | nothing to wait for; rebuild the copy by state transfer | one copy lives: precise | every copy lost: global rollback to the checkpoint (rollback), gap without checkpoints |
//! | [`PassiveReplication`] | one copy + a standby fed at checkpoints | promote the standby, replay since its sync | standby promoted, upstream alive: rollback (precise with continuous sync) | standby lost (cold restart from the checkpoint) or an upstream instance failed with it: rollback |
//! | [`UpstreamBackup`] | one copy, upstream keeps its output | fresh instance rebuilt from upstream's log | rollback | — |
//!
//! Without checkpoints nothing but active's live copies survives a failure: every other
//! guarantee is a gap.

mod active;
mod none;
mod passive;
mod upstream_backup;

pub use active::ActiveReplication;
pub use none::NoReplication;
pub use passive::{PassiveReplication, StandbySync};
pub use upstream_backup::UpstreamBackup;

use std::fmt;

use super::CheckpointConfig;
use crate::sim::SimDuration;

/// What a strategy guarantees about the events of a failed instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoverySemantics {
    /// Every event is processed exactly once: no loss, no duplicate.
    Precise,
    /// No loss; events processed since the restored state are processed again, but the
    /// sink's visible output holds each event once (see [`super::sink`]).
    ExactlyOnce,
    /// No loss; events processed since the restored state are processed again.
    Rollback,
    /// Events held or sent during the outage may be lost.
    Gap,
}

impl RecoverySemantics {
    /// Name in results.
    pub fn label(self) -> &'static str {
        match self {
            Self::Precise => "precise",
            Self::ExactlyOnce => "exactly-once",
            Self::Rollback => "rollback",
            Self::Gap => "gap",
        }
    }
}

/// Which branch of its recovery a strategy took for one episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Condition {
    /// The strategy's own mechanism was available (a live copy, a promotable standby with
    /// its upstream alive, the upstream log, the checkpoint).
    #[default]
    Primary,
    /// It was not, and recovery fell back on something weaker (every active copy lost; the
    /// standby's node down too; an upstream instance failed at the same time).
    Fallback,
}

impl Condition {
    /// Both conditions, strongest first.
    pub const ALL: [Condition; 2] = [Condition::Primary, Condition::Fallback];

    /// Name in results.
    pub fn label(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Fallback => "fallback",
        }
    }
}

impl RecoverySemantics {
    /// Whether `lost` lost events, `duplicated` events processed twice and `visible`
    /// events visible twice at a sink are allowed.
    pub fn allows(self, lost: u64, duplicated: u64, visible: u64) -> bool {
        match self {
            Self::Precise => lost == 0 && duplicated == 0,
            Self::ExactlyOnce => lost == 0 && visible == 0,
            Self::Rollback => lost == 0,
            Self::Gap => true,
        }
    }
}

/// Which instances a failure rolls back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RollbackScope {
    /// Every instance returns to the last complete checkpoint; sources replay.
    #[default]
    Global,
    /// Only the failed instances; their upstream instances replay their output logs.
    Local,
}

/// Where a replacement instance's state comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateSource {
    /// The last complete checkpoint, read back from storage.
    Checkpoint,
    /// The standby's copy (already in its memory).
    Standby,
    /// A live replica, copied over the network.
    Peer,
    /// None: the instance starts empty (and may rebuild state by replay).
    Empty,
}

/// How a failed instance comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replacement {
    /// From the decision to replace until the replacement serves.
    pub delay: SimDuration,
    /// Where its state comes from.
    pub state: StateSource,
}

/// What the world knows when it replaces an instance.
#[derive(Clone, Copy, Debug)]
pub struct ReplacementNeed<'a> {
    /// A draw of the scenario's restart delay (starting a process).
    pub restart: SimDuration,
    /// State the instance held \[bytes\].
    pub state_bytes: u64,
    /// The checkpoint settings, if the variant checkpoints.
    pub checkpoint: Option<&'a CheckpointConfig>,
    /// Whether the instance is being replaced on the node of its own standby.
    pub on_standby: bool,
    /// Whether another copy of the instance is running (active replication).
    pub peer_alive: bool,
    /// Whether the whole job is rolling back to the last complete checkpoint (every
    /// instance restores it, whatever else is running).
    pub rolling_back: bool,
    /// Whether the instance is a source (a replayable log: restarting it loses nothing).
    pub source: bool,
}

/// A replication strategy, as the world sees it. One implementation per file.
pub trait ReplicationStrategy: fmt::Debug {
    /// Name in results (`none`, `active`, `passive`, `upstream-backup`).
    fn label(&self) -> &'static str;

    /// The guarantee the strategy claims when its own mechanism works, given whether the
    /// variant checkpoints (its headline claim: [`Self::guarantee`] under
    /// [`Condition::Primary`]).
    fn semantics(&self, checkpoints: bool) -> RecoverySemantics {
        self.guarantee(Condition::Primary, checkpoints)
    }

    /// The guarantee the strategy gives an episode recovered under `condition`.
    fn guarantee(&self, condition: Condition, checkpoints: bool) -> RecoverySemantics;

    /// What `condition` means for this strategy, in a few words (for reports).
    fn condition_text(&self, condition: Condition) -> &'static str;

    /// Copies of each processing instance running at once.
    fn replicas(&self) -> u32 {
        1
    }

    /// Whether the strategy runs the checkpoint protocol (when the scenario configures it).
    fn uses_checkpoints(&self) -> bool {
        true
    }

    /// Whether snapshots write operator state (false: barriers only acknowledge progress,
    /// so that upstream may trim its output log).
    fn snapshots_state(&self) -> bool {
        true
    }

    /// Which instances a failure rolls back, given the scenario's choice.
    fn rollback(&self, configured: RollbackScope) -> RollbackScope;

    /// Whether a standby sits on another node for each instance.
    fn standby(&self) -> bool {
        false
    }

    /// Whether the standby receives every state change as it happens (log shipping) rather
    /// than at checkpoints.
    fn continuous_sync(&self) -> bool {
        false
    }

    /// How long replacing a failed instance takes and where its state comes from.
    fn replacement(&self, need: ReplacementNeed<'_>) -> Replacement;

    /// Whether that replacement is the strategy's own mechanism or its fallback.
    fn replacement_condition(&self, _need: &ReplacementNeed<'_>) -> Condition {
        Condition::Primary
    }
}

/// Without checkpoints only a live copy survives a failure: the guarantee every strategy but
/// active's primary condition falls to.
pub(crate) fn unless_checkpointed(
    checkpoints: bool,
    guarantee: RecoverySemantics,
) -> RecoverySemantics {
    if checkpoints {
        guarantee
    } else {
        RecoverySemantics::Gap
    }
}

/// The strategy of a variant, as plain data (cloneable, comparable, printable).
#[derive(Clone, Debug, PartialEq)]
pub enum Replication {
    /// Checkpoint and rollback only.
    None(NoReplication),
    /// k active copies.
    Active(ActiveReplication),
    /// Primary and standby.
    Passive(PassiveReplication),
    /// Upstream output logs.
    UpstreamBackup(UpstreamBackup),
}

impl Default for Replication {
    fn default() -> Self {
        Self::None(NoReplication)
    }
}

impl Replication {
    /// The strategy behind the data.
    pub fn strategy(&self) -> &dyn ReplicationStrategy {
        match self {
            Self::None(s) => s,
            Self::Active(s) => s,
            Self::Passive(s) => s,
            Self::UpstreamBackup(s) => s,
        }
    }
}

/// Restart plus, with checkpoints, reading the state back: the replacement most strategies
/// fall back on.
pub(crate) fn restart_and_restore(need: &ReplacementNeed<'_>) -> Replacement {
    match need.checkpoint {
        Some(c) => Replacement {
            delay: need.restart + c.restore_time(need.state_bytes),
            state: StateSource::Checkpoint,
        },
        None => fresh_start(need),
    }
}

/// A new process with no state: the restart alone.
pub(crate) fn fresh_start(need: &ReplacementNeed<'_>) -> Replacement {
    Replacement {
        delay: need.restart,
        state: StateSource::Empty,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::ft::SnapshotMode;

    /// Checkpoints restoring at 1 MB/s (so that 1 MB takes one second).
    pub fn checkpoint() -> CheckpointConfig {
        CheckpointConfig {
            interval: SimDuration::from_secs_f64(1.0),
            snapshot_bytes_per_s: 1e6,
            restore_bytes_per_s: 1e6,
            mode: SnapshotMode::Async,
            watchdog: None,
            rollback: RollbackScope::Global,
            barriers: crate::ft::BarrierMode::AtLeastOnce,
            aligned_timeout: None,
            timeout: None,
            tolerable_failed: None,
            min_pause: SimDuration::ZERO,
        }
    }

    /// A need: 0.3 s restart, 2 MB of state.
    pub fn need(checkpoint: Option<&CheckpointConfig>) -> ReplacementNeed<'_> {
        ReplacementNeed {
            restart: SimDuration::from_millis_f64(300.0),
            state_bytes: 2_000_000,
            checkpoint,
            on_standby: false,
            peer_alive: false,
            rolling_back: false,
            source: false,
        }
    }
}
