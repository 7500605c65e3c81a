//! Fault windows on a provider's timeline (outages and degraded throughput) and
//! the client timeout that bounds an attempt.
//!
//! Windows are half-open, `[start, end)`: a request at exactly `start` is inside,
//! one at exactly `end` is not, so two windows that touch never both apply.
//! Provider status pages (status.anthropic.com, status.openai.com) report
//! incidents of both kinds: full outages, where requests fail at once (HTTP
//! 5xx/529 overloaded) or hang until the client gives up, and degraded
//! performance, modelled here as throughput multiplied by a factor in (0, 1].

use crate::time::{SimDuration, SimTime};

/// What requests meet during an outage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutageMode {
    /// An error comes back at once.
    FailFast,
    /// No answer comes; the client's timeout ends the attempt.
    Hang,
}

/// `[start, end)` during which the provider is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutageWindow {
    pub start: SimTime,
    pub end: SimTime,
    pub mode: OutageMode,
}

/// `[start, end)` during which throughput is multiplied by `factor`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DegradedWindow {
    pub start: SimTime,
    pub end: SimTime,
    /// In (0, 1]: 0.5 serves at half speed.
    pub factor: f64,
}

/// The two kinds of window, as errors name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    Outage,
    Degraded,
}

impl WindowKind {
    fn name(self) -> &'static str {
        match self {
            WindowKind::Outage => "outage",
            WindowKind::Degraded => "degraded",
        }
    }
}

/// Why a list of windows was refused. `index` counts windows of one kind from 0.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum FaultError {
    #[error("{} window {index} ends at {end}, not after its start {start}", kind.name())]
    Empty { kind: WindowKind, index: usize, start: SimTime, end: SimTime },
    #[error("{} window {index} starts at {start}, before window {} (start {previous_start}): list windows in time order", kind.name(), index - 1)]
    OutOfOrder { kind: WindowKind, index: usize, start: SimTime, previous_start: SimTime },
    #[error("{} window {index} starts at {start}, before window {} ends at {previous_end}: windows of one kind must not overlap", kind.name(), index - 1)]
    Overlap { kind: WindowKind, index: usize, start: SimTime, previous_end: SimTime },
    #[error("degraded window {index} has factor {factor}; it must be in (0, 1]")]
    BadFactor { index: usize, factor: f64 },
}

/// What the sorted-window checks and lookups need of a window.
trait Span {
    fn span(&self) -> (SimTime, SimTime);
}

impl Span for OutageWindow {
    fn span(&self) -> (SimTime, SimTime) {
        (self.start, self.end)
    }
}

impl Span for DegradedWindow {
    fn span(&self) -> (SimTime, SimTime) {
        (self.start, self.end)
    }
}

/// Checks that every window is non-empty and each starts at or after the previous one's end.
fn check_sorted<W: Span>(windows: &[W], kind: WindowKind) -> Result<(), FaultError> {
    let mut previous: Option<(SimTime, SimTime)> = None;
    for (index, w) in windows.iter().enumerate() {
        let (start, end) = w.span();
        if end <= start {
            return Err(FaultError::Empty { kind, index, start, end });
        }
        if let Some((previous_start, previous_end)) = previous {
            if start < previous_start {
                return Err(FaultError::OutOfOrder { kind, index, start, previous_start });
            }
            if start < previous_end {
                return Err(FaultError::Overlap { kind, index, start, previous_end });
            }
        }
        previous = Some((start, end));
    }
    Ok(())
}

/// The window holding `t`, by binary search over sorted, disjoint windows.
fn window_at<W: Span>(windows: &[W], t: SimTime) -> Option<&W> {
    let after = windows.partition_point(|w| w.span().0 <= t);
    let w = windows[..after].last()?;
    (t < w.span().1).then_some(w)
}

/// A provider's outage and degraded windows, validated, each kind sorted and disjoint.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultTimeline {
    outages: Vec<OutageWindow>,
    degraded: Vec<DegradedWindow>,
}

impl FaultTimeline {
    /// Takes each kind's windows in time order; an outage may overlap a degraded
    /// window (the outage decides whether a request is served at all).
    pub fn new(outages: Vec<OutageWindow>, degraded: Vec<DegradedWindow>) -> Result<Self, FaultError> {
        check_sorted(&outages, WindowKind::Outage)?;
        check_sorted(&degraded, WindowKind::Degraded)?;
        if let Some((index, w)) = degraded.iter().enumerate().find(|(_, w)| !(w.factor > 0.0 && w.factor <= 1.0)) {
            return Err(FaultError::BadFactor { index, factor: w.factor });
        }
        Ok(FaultTimeline { outages, degraded })
    }

    /// The outage in force at `t`, if any. O(log n).
    pub fn outage_at(&self, t: SimTime) -> Option<OutageMode> {
        window_at(&self.outages, t).map(|w| w.mode)
    }

    /// The throughput multiplier at `t`: 1 outside degraded windows. O(log n).
    pub fn speed_factor_at(&self, t: SimTime) -> f64 {
        window_at(&self.degraded, t).map_or(1.0, |w| w.factor)
    }
}

/// Which instant of an attempt the client's timer waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeoutWatch {
    /// Streaming: the timer stops at the first token (a stream that has
    /// started is not cut by this timeout).
    FirstToken,
    /// Non-streaming: the timer runs until the whole response is back.
    #[default]
    Completion,
}

/// A client timeout: an attempt sent at `sent` must reach the watched instant by
/// `sent + limit`. The official SDKs default to 10 minutes (Anthropic and OpenAI
/// Python SDKs, "Timeouts").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeout {
    pub limit: SimDuration,
    pub watch: TimeoutWatch,
}

impl ClientTimeout {
    pub fn deadline(&self, sent: SimTime) -> SimTime {
        sent + self.limit
    }

    /// When the attempt sent at `sent` times out, or `None` if it does not.
    /// `first_token` and `end` are `None` for an attempt that never gets them
    /// (an outage in `Hang` mode). An answer at exactly the deadline is in time.
    pub fn times_out_at(&self, sent: SimTime, first_token: Option<SimTime>, end: Option<SimTime>) -> Option<SimTime> {
        let deadline = self.deadline(sent);
        let watched = match self.watch {
            TimeoutWatch::FirstToken => first_token,
            TimeoutWatch::Completion => end,
        };
        match watched {
            Some(t) if t <= deadline => None,
            _ => Some(deadline),
        }
    }
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
