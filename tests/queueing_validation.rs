//! The serving model against queueing theory: the scenarios of
//! `scenarios/validation/` (M/M/1, M/M/c, M/D/1, and GI/M/1 with bursty
//! gamma arrivals) run through sim-core, and their mean waits, sojourn times
//! and percentiles, queue lengths and utilisation must fall inside the 95%
//! interval across replicates around the closed forms (Kleinrock, Queueing
//! Systems Vol. 1: M/M/1 section 3.2, Erlang C section 3.5,
//! Pollaczek-Khinchine section 5.6, G/M/1 chapter 6), and Little's law must
//! hold replicate by replicate. The sojourn percentiles hold under FIFO
//! only (the means would not see LIFO: they do not depend on the order).
//!
//! The same rows are in docs/validation.md's table, through
//! `validation_record` (`all_rows` below is what both read).

use sim_core::metrics::{ReplicateMetrics, Summary, VariantRecord, metric_names};
use sim_core::montecarlo::{self, RunHooks, RunOptions};
use sim_core::scenario::{SourceText, load};
use std::sync::OnceLock;

/// The closed forms of one queue. Service times are exponential (`Markov`,
/// `GammaArrivals`) or fixed at 1 / mu (`Deterministic`); arrivals are
/// Poisson except in `GammaArrivals` (a gamma renewal process whose gaps
/// have coefficient of variation `cv`: GI/M/1).
#[derive(Clone, Copy, Debug)]
enum Queue {
    Markov { c: u32, lambda: f64, mu: f64 },
    Deterministic { lambda: f64, mu: f64 },
    GammaArrivals { cv: f64, lambda: f64, mu: f64 },
}

impl Queue {
    fn rho(self) -> f64 {
        match self {
            Queue::Markov { c, lambda, mu } => lambda / (f64::from(c) * mu),
            Queue::Deterministic { lambda, mu } | Queue::GammaArrivals { lambda, mu, .. } => lambda / mu,
        }
    }

    fn lambda(self) -> f64 {
        match self {
            Queue::Markov { lambda, .. }
            | Queue::Deterministic { lambda, .. }
            | Queue::GammaArrivals { lambda, .. } => lambda,
        }
    }

    fn mu(self) -> f64 {
        match self {
            Queue::Markov { mu, .. } | Queue::Deterministic { mu, .. } | Queue::GammaArrivals { mu, .. } => mu,
        }
    }

    /// Mean wait in queue: Erlang C over (c mu - lambda) (M/M/1 is c = 1,
    /// where C = rho), or Pollaczek-Khinchine for a fixed service.
    fn wq(self) -> f64 {
        match self {
            Queue::Markov { c, lambda, mu } => erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda),
            Queue::Deterministic { mu, .. } => self.rho() / (2.0 * mu * (1.0 - self.rho())),
            // GI/M/1: P(wait) = sigma, and a waiting request waits an
            // exponential time of rate mu (1 - sigma).
            Queue::GammaArrivals { cv, lambda, mu } => {
                let sigma = gi_m1_sigma(cv, lambda, mu);
                sigma / (mu * (1.0 - sigma))
            }
        }
    }

    /// P(sojourn > t) under FIFO.
    fn sojourn_tail(self, t: f64) -> f64 {
        match self {
            // Sojourn = wait + service: the wait is 0 with probability 1 - C,
            // else exponential of rate nu = c mu - lambda; the service is
            // exponential of rate mu, so a waiting request's sojourn is
            // hypoexponential (Erlang-2 when nu = mu).
            Queue::Markov { c, lambda, mu } => {
                let wait = erlang_c(c, lambda / mu);
                let nu = f64::from(c) * mu - lambda;
                let both = if (nu - mu).abs() < 1e-9 * mu {
                    (-mu * t).exp() * (1.0 + mu * t)
                } else {
                    (nu * (-mu * t).exp() - mu * (-nu * t).exp()) / (nu - mu)
                };
                (1.0 - wait) * (-mu * t).exp() + wait * both
            }
            // The wait of M/D/1 (Erlang 1909; Crommelin 1932): with the
            // service time D = 1 / mu as the unit,
            // P(Wq <= x) = (1 - rho) sum_{k <= x} (rho (k - x))^k / k! e^{-rho (k - x)}.
            Queue::Deterministic { lambda, mu } => {
                let x = t * mu - 1.0;
                if x < 0.0 {
                    return 1.0;
                }
                let rho = lambda / mu;
                let mut sum = 0.0;
                let mut factorial = 1.0;
                for k in 0..=(x.floor() as u32) {
                    if k > 0 {
                        factorial *= f64::from(k);
                    }
                    let u = rho * (f64::from(k) - x);
                    sum += u.powi(k as i32) / factorial * (-u).exp();
                }
                1.0 - (1.0 - rho) * sum
            }
            // GI/M/1 under FIFO: the sojourn is exponential of rate mu (1 - sigma)
            // (Kleinrock 1975, chapter 6).
            Queue::GammaArrivals { cv, lambda, mu } => (-mu * (1.0 - gi_m1_sigma(cv, lambda, mu)) * t).exp(),
        }
    }

    /// The sojourn time's `q` quantile, by bisection of the tail.
    fn sojourn_quantile(self, q: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, 1.0);
        while self.sojourn_tail(hi) > 1.0 - q {
            hi *= 2.0;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if self.sojourn_tail(mid) > 1.0 - q { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    }
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue of
/// offered load `a` Erlangs (a < c).
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - a / f64::from(c));
    last / (sum + last)
}

/// GI/M/1 with gamma gaps of mean 1 / lambda and coefficient of variation
/// `cv` (shape k = 1 / cv^2): sigma, the probability that an arrival waits,
/// is the root in (0, 1) of sigma = A*(mu (1 - sigma)), with
/// A*(s) = (k lambda / (k lambda + s))^k the gaps' Laplace transform
/// (Kleinrock, Queueing Systems Vol. 1, chapter 6). By bisection: the
/// difference A*(mu (1 - sigma)) - sigma is positive at 0 and negative just
/// below 1 when rho < 1.
fn gi_m1_sigma(cv: f64, lambda: f64, mu: f64) -> f64 {
    let k = 1.0 / (cv * cv);
    let gap = |sigma: f64| (k * lambda / (k * lambda + mu * (1.0 - sigma))).powf(k) - sigma;
    let (mut lo, mut hi) = (0.0, 1.0 - 1e-12);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if gap(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

pub(crate) struct Case {
    file: &'static str,
    pub(crate) name: &'static str,
    queue: Queue,
    /// The test that asserts this case, as docs/validation.md names it.
    pub(crate) test: &'static str,
    /// Where the closed forms come from.
    pub(crate) source: &'static str,
}

pub(crate) const CASES: [Case; 4] = [
    Case {
        file: "mm1.toml",
        name: "M/M/1, rho 0.7",
        queue: Queue::Markov { c: 1, lambda: 0.7, mu: 1.0 },
        test: "mm1_matches_the_closed_forms",
        source: "M/M/1 closed form (Kleinrock 1975, s. 3.2)",
    },
    Case {
        file: "mmc.toml",
        name: "M/M/4, rho 0.75",
        queue: Queue::Markov { c: 4, lambda: 3.0, mu: 1.0 },
        test: "mmc_matches_erlang_c",
        source: "Erlang C (Kleinrock 1975, s. 3.5)",
    },
    Case {
        file: "md1.toml",
        name: "M/D/1, rho 0.75",
        queue: Queue::Deterministic { lambda: 0.75, mu: 1.0 },
        test: "md1_matches_pollaczek_khinchine",
        source: "Pollaczek-Khinchine; Erlang's M/D/1 wait distribution (Kleinrock 1975, s. 5.6; Crommelin 1932)",
    },
    Case {
        file: "gm1.toml",
        name: "GI/M/1, gamma arrivals cv 2, rho 0.5",
        queue: Queue::GammaArrivals { cv: 2.0, lambda: 0.5, mu: 1.0 },
        test: "gm1_with_bursty_arrivals_matches_the_g_m_1_solution",
        source: "exact GI/M/1 solution, sigma = 0.7707 (Kleinrock 1975, ch. 6)",
    },
];

/// Little's law holds on every sample path up to the edges (requests in the
/// system at the warm-up's end); over thousands of requests they are far
/// below this.
pub(crate) const LITTLE_TOLERANCE: f64 = 0.01;
/// The 95% interval must be narrow enough for the comparison to mean something.
pub(crate) const MAX_HALF_WIDTH: f64 = 0.05;

/// One comparison of a case.
pub(crate) struct Row {
    pub(crate) case: &'static Case,
    pub(crate) quantity: &'static str,
    pub(crate) formula: &'static str,
    pub(crate) theory: f64,
    /// Mean across replicates and its 95% interval; for Little's law, the
    /// worst replicate's relative gap (and no interval).
    pub(crate) simulated: f64,
    pub(crate) ci: Option<(f64, f64)>,
    pub(crate) pass: bool,
}

/// The rows of `CASES[i]`, measured once per test process: the tests and
/// `validation_record` read the same run.
pub(crate) fn case_rows(i: usize) -> &'static [Row] {
    static ROWS: [OnceLock<Vec<Row>>; 4] = [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    ROWS[i].get_or_init(|| run_case(&CASES[i]))
}

fn run_case(case: &'static Case) -> Vec<Row> {
    let path = format!("{}/../scenarios/validation/{}", env!("CARGO_MANIFEST_DIR"), case.file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let sc = load(&SourceText { name: case.file, text: &text }, &[]).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let names = metric_names(&sc.cache_tier_names());
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    let (l, lq, w, wq) = (at("concurrency_mean"), at("queue_len_mean"), at("e2e_s_mean"), at("queue_wait_s_mean"));
    // The worst relative gap of each Little's law over the replicates.
    let (mut gap_l, mut gap_lq) = (0.0f64, 0.0f64);
    let mut sink = |_: &str, r: &ReplicateMetrics, record: &VariantRecord| {
        let v = &record.overall.0;
        let get = |i: usize| v[i].expect("defined");
        let lambda = r.overall.requests as f64 / r.overall.span_s;
        gap_l = gap_l.max((get(l) - lambda * get(w)).abs() / (lambda * get(w)));
        gap_lq = gap_lq.max((get(lq) - lambda * get(wq)).abs() / (lambda * get(wq)));
    };
    let hooks = RunHooks { on_done: &|| {}, on_replicate: &mut sink };
    let run = montecarlo::run(&sc, &[], &RunOptions::from_scenario(&sc), hooks).unwrap();
    let q = case.queue;
    let (wq_theory, service) = (q.wq(), 1.0 / q.mu());
    let mut rows = vec![
        interval(case, &run.summary, "queue_wait_s_mean", "Wq", wq_theory),
        interval(case, &run.summary, "e2e_s_mean", "W = Wq + 1/mu", wq_theory + service),
        interval(case, &run.summary, "queue_len_mean", "Lq = lambda Wq", q.lambda() * wq_theory),
        interval(case, &run.summary, "utilization", "rho", q.rho()),
        interval(case, &run.summary, "e2e_s_p50", "FIFO sojourn median", q.sojourn_quantile(0.5)),
        interval(case, &run.summary, "e2e_s_p95", "FIFO sojourn p95", q.sojourn_quantile(0.95)),
    ];
    for (quantity, formula, gap) in [
        ("concurrency_mean vs lambda x e2e_s_mean", "L = lambda W", gap_l),
        ("queue_len_mean vs lambda x queue_wait_s_mean", "Lq = lambda Wq", gap_lq),
    ] {
        let pass = gap <= LITTLE_TOLERANCE;
        rows.push(Row { case, quantity, formula, theory: 0.0, simulated: gap, ci: None, pass });
    }
    rows
}

/// The metric's 95% interval must hold `theory` and be at most
/// `MAX_HALF_WIDTH` of it on each side.
fn interval(case: &'static Case, summary: &Summary, metric: &'static str, formula: &'static str, theory: f64) -> Row {
    let s = summary.variants[0].metrics.get(metric).unwrap_or_else(|| panic!("no {metric}"));
    let (mean, lo, hi) = (s.mean.unwrap(), s.ci95_low.unwrap(), s.ci95_high.unwrap());
    let pass = lo <= theory && theory <= hi && (hi - lo) / 2.0 <= MAX_HALF_WIDTH * theory;
    Row { case, quantity: metric, formula, theory, simulated: mean, ci: Some((lo, hi)), pass }
}

fn describe(r: &Row) -> String {
    match r.ci {
        Some((lo, hi)) => format!(
            "| {} | `{}` | {} = {:.4} | {:.4} [{:.4}, {:.4}] | theory in the 95% CI, half-width <= {}% | {} |",
            r.case.name,
            r.quantity,
            r.formula,
            r.theory,
            r.simulated,
            lo,
            hi,
            MAX_HALF_WIDTH * 100.0,
            if r.pass { "pass" } else { "FAIL" }
        ),
        None => format!(
            "| {} | {} | {} | worst replicate off by {:.4}% | <= {}% in every replicate | {} |",
            r.case.name,
            r.quantity,
            r.formula,
            r.simulated * 100.0,
            LITTLE_TOLERANCE * 100.0,
            if r.pass { "pass" } else { "FAIL" }
        ),
    }
}

fn check(i: usize) {
    let failed: Vec<String> = case_rows(i).iter().filter(|r| !r.pass).map(describe).collect();
    assert!(failed.is_empty(), "{} disagrees with theory:\n{}", CASES[i].name, failed.join("\n"));
}

#[test]
fn mm1_matches_the_closed_forms() {
    check(0);
}

#[test]
fn mmc_matches_erlang_c() {
    check(1);
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    check(2);
}

#[test]
fn gm1_with_bursty_arrivals_matches_the_g_m_1_solution() {
    check(3);
}

#[test]
fn the_closed_forms_match_textbook_values() {
    let [mm1, mmc, md1, gm1] = CASES.map(|c| c.queue);
    // M/M/1 at rho 0.7: Wq = 0.7 / 0.3, and the sojourn is exponential of
    // rate mu - lambda = 0.3, so its median is ln 2 / 0.3.
    assert!((mm1.wq() - 0.7 / 0.3).abs() < 1e-12);
    assert!((mm1.sojourn_quantile(0.5) - 2f64.ln() / 0.3).abs() < 1e-9);
    assert!((mm1.sojourn_quantile(0.95) - 20f64.ln() / 0.3).abs() < 1e-9);
    // Erlang C(4, 3): a^c / c! / (1 - rho) = 81/24 x 4 = 13.5, over
    // 1 + 3 + 4.5 + 4.5 + 13.5; and c mu - lambda = 1.
    assert!((erlang_c(4, 3.0) - 13.5 / 26.5).abs() < 1e-12);
    assert!((mmc.wq() - 13.5 / 26.5).abs() < 1e-12);
    // M/D/1 at rho 0.75: Wq = 0.75 / (2 x 0.25) = 1.5 s; P(Wq = 0) = 1 - rho,
    // so the sojourn is exactly the 1 s service with probability 0.25.
    assert!((md1.wq() - 1.5).abs() < 1e-12);
    assert!((md1.sojourn_tail(1.0) - 0.75).abs() < 1e-12);
    // On (0, 1] of wait: P(Wq <= x) = (1 - rho) e^{rho x}.
    assert!((md1.sojourn_tail(1.5) - (1.0 - 0.25 * (0.75f64 * 0.5).exp())).abs() < 1e-12);
    // GI/M/1 with exponential gaps (cv 1) is M/M/1: sigma = rho.
    assert!((gi_m1_sigma(1.0, 0.7, 1.0) - 0.7).abs() < 1e-9);
    assert!((Queue::GammaArrivals { cv: 1.0, lambda: 0.7, mu: 1.0 }.wq() - mm1.wq()).abs() < 1e-8);
    // Bursty gaps (cv 2, shape 1/4) at rho 0.5: sigma solves
    // sigma = (0.125 / (1.125 - sigma))^(1/4); 0.7707 by fixed-point iteration.
    let sigma = gi_m1_sigma(2.0, 0.5, 1.0);
    assert!((sigma - (0.125 / (1.125 - sigma)).powf(0.25)).abs() < 1e-12);
    assert!((sigma - 0.7707).abs() < 1e-4, "{sigma}");
    assert!((gm1.sojourn_quantile(0.5) - 2f64.ln() / (1.0 - sigma)).abs() < 1e-9);
}
