//! The metric cells of a replicate. A fixed workload has one cell; a routed
//! workload has a session cell (sessions, their durations and costs,
//! concurrency, subagents, compactions, busts) and one request cell per
//! candidate provider (requests, tokens, costs, latencies, failures,
//! failovers, route switches), so each request counts under the provider
//! that served it. Provider, workload and overall scopes are merged from
//! the cells at the end: one record per event on the hot path.

use crate::metrics::{CostTotals, ScopeMetrics};
use crate::scenario::Scenario;

#[derive(Default)]
pub struct Cells {
    cells: Vec<ScopeMetrics>,
    /// Per workload: the index of its first cell (its only one when fixed,
    /// its session cell when routed).
    base: Vec<usize>,
    /// Per workload: its candidate providers (its one provider when fixed).
    candidates: Vec<Vec<usize>>,
    routed: Vec<bool>,
}

impl Cells {
    pub fn new(sc: &Scenario) -> Self {
        let mut base = Vec::with_capacity(sc.workloads.len());
        let mut n = 0;
        for w in &sc.workloads {
            base.push(n);
            n += w.candidates().len() + usize::from(w.route.is_some());
        }
        Cells {
            cells: vec![ScopeMetrics::default(); n],
            base,
            candidates: sc.workloads.iter().map(|w| w.candidates().to_vec()).collect(),
            routed: sc.workloads.iter().map(|w| w.route.is_some()).collect(),
        }
    }

    /// Where workload `w`'s session-level counts go.
    pub fn session(&mut self, w: usize) -> &mut ScopeMetrics {
        &mut self.cells[self.base[w]]
    }

    /// Where workload `w`'s requests to its candidate `slot` are counted.
    pub fn request(&mut self, w: usize, slot: usize) -> &mut ScopeMetrics {
        let i = self.base[w] + usize::from(self.routed[w]) + slot;
        &mut self.cells[i]
    }

    /// Workload `w`'s request cell at provider `p` (one of its candidates).
    pub fn at_provider(&mut self, w: usize, p: usize) -> &mut ScopeMetrics {
        let slot = self.candidates[w].iter().position(|&c| c == p).expect("a workload's caches are its candidates'");
        self.request(w, slot)
    }

    /// Everything billed so far to provider `p`'s requests, summed exactly.
    pub fn provider_cost(&self, p: usize) -> CostTotals {
        let mut cost = CostTotals::default();
        for (w, cands) in self.candidates.iter().enumerate() {
            let first = self.base[w] + usize::from(self.routed[w]);
            for (slot, _) in cands.iter().enumerate().filter(|(_, c)| **c == p) {
                cost.merge(&self.cells[first + slot].cost);
            }
        }
        cost
    }

    /// Closes the cells: `each(w, cell)` is called on every workload's
    /// session (or only) cell, then every cell gets `span_s`. Returns the
    /// overall scope, the provider scopes and the workload scopes, merged in
    /// workload order (a fixed workload's scope is its cell, unmerged).
    pub fn finish(
        mut self,
        n_providers: usize,
        span_s: f64,
        mut each: impl FnMut(usize, &mut ScopeMetrics),
    ) -> (ScopeMetrics, Vec<ScopeMetrics>, Vec<ScopeMetrics>) {
        for w in 0..self.base.len() {
            each(w, &mut self.cells[self.base[w]]);
        }
        for cell in &mut self.cells {
            cell.span_s = span_s;
        }
        let mut overall = ScopeMetrics::default();
        overall.span_s = span_s;
        let mut by_provider = vec![overall.clone(); n_providers];
        let mut cells = self.cells.into_iter();
        let mut by_workload = Vec::with_capacity(self.base.len());
        for (w, cands) in self.candidates.iter().enumerate() {
            if !self.routed[w] {
                let cell = cells.next().expect("one cell per fixed workload");
                overall.merge(&cell);
                by_provider[cands[0]].merge(&cell);
                by_workload.push(cell);
                continue;
            }
            // A routed session is no one provider's: its session cell joins
            // the workload and overall scopes only.
            let mut scope = cells.next().expect("a routed workload's session cell");
            overall.merge(&scope);
            for &p in cands {
                let cell = cells.next().expect("a cell per candidate");
                overall.merge(&cell);
                by_provider[p].merge(&cell);
                scope.merge(&cell);
            }
            by_workload.push(scope);
        }
        (overall, by_provider, by_workload)
    }
}
