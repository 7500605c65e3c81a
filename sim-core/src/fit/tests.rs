//! Fits recover the parameters of synthetic traces drawn with known ones,
//! and the printed workload loads as a valid scenario workload.

use super::*;
use crate::dist::Dist;
use crate::scenario::{SourceText, load};
use crate::trace::TraceRequest;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp, LogNormal};
use rand_pcg::Pcg64;

/// `sessions` sessions arriving as Poisson(rate), steps ~ 1 + Poisson-ish
/// (uniform 1..=9), input/output/think lognormal with the given (mu, sigma).
fn synthetic(sessions: usize, rate: f64, input: (f64, f64), output: (f64, f64), think: (f64, f64)) -> Trace {
    let mut rng = Pcg64::seed_from_u64(7);
    let gap = Exp::new(rate).unwrap();
    let (li, lo, lt) = (
        LogNormal::new(input.0, input.1).unwrap(),
        LogNormal::new(output.0, output.1).unwrap(),
        LogNormal::new(think.0, think.1).unwrap(),
    );
    let mut requests = Vec::new();
    let mut t = 0.0;
    for s in 0..sessions {
        t += gap.sample(&mut rng);
        let steps = 1 + (s % 9) as u32;
        let mut at = t;
        for step in 0..steps {
            let think_s: f64 = if step == 0 { 0.0 } else { lt.sample(&mut rng) };
            at += think_s;
            requests.push(TraceRequest {
                arrival_us: (at * 1e6) as u64,
                input_tokens: li.sample(&mut rng).round().max(1.0) as u64,
                output_tokens: lo.sample(&mut rng).round().max(1.0) as u64,
                session: Some(s as u32),
                step,
                think_us: (think_s * 1e6).round() as u64,
                ..TraceRequest::default()
            });
        }
    }
    requests.sort_by_key(|r| r.arrival_us);
    Trace::new(512, requests)
}

#[test]
fn a_lognormal_sample_gives_back_its_parameters() {
    let mut rng = Pcg64::seed_from_u64(1);
    let d = LogNormal::new(2.0, 0.5).unwrap();
    let xs: Vec<f64> = (0..20_000).map(|_| d.sample(&mut rng)).collect();
    let f = LognormalFit::of(xs.iter().copied().chain([0.0, 0.0])).unwrap();
    assert!((f.mu - 2.0).abs() < 0.01 && (f.sigma - 0.5).abs() < 0.01, "{f:?}");
    assert_eq!((f.n, f.zeros), (20_000, 2));
    // KS of a correct fit shrinks like 1/sqrt(n): 1.36/sqrt(n) is its 95% bound.
    assert!(f.ks < 1.36 / (20_000f64).sqrt(), "{f:?}");
    // Against a wrong shape the statistic is large.
    let mut sorted = xs.clone();
    sorted.sort_by(f64::total_cmp);
    assert!(ks_statistic(&sorted, |x| 1.0 - (-x / 8.0).exp()) > 0.1);
    assert_eq!(LognormalFit::of([5.0, 5.0, 5.0]), None);
    assert_eq!(LognormalFit::of([5.0]), None);
}

#[test]
fn ks_statistic_by_hand() {
    // Uniform(0, 1) CDF against the points 0.1 and 0.2: the empirical CDF
    // reaches 1 at 0.2, where F is 0.2, so D = 0.8.
    assert!((ks_statistic(&[0.1, 0.2], |x| x) - 0.8).abs() < 1e-12);
    // Ties count as one jump: two values at 0.5 give D = max(0.5, 0.5).
    assert!((ks_statistic(&[0.5, 0.5], |x| x) - 0.5).abs() < 1e-12);
}

#[test]
fn a_synthetic_session_trace_is_recovered() {
    let t = synthetic(3_000, 0.5, (7.0, 0.8), (5.0, 0.6), (1.0, 0.7));
    let r = fit(&t);
    let a = r.arrivals.as_ref().unwrap();
    assert_eq!(a.sessions, 3_000);
    assert!((a.rate_per_s / 0.5 - 1.0).abs() < 0.05, "{a:?}");
    assert!(a.ks < 0.03, "{a:?}");
    // 3,000 sessions at 0.5/s span ~100 minutes: no daily profile.
    assert_eq!(a.hourly, None);
    let (i, o) = (r.input_tokens.unwrap(), r.output_tokens.unwrap());
    assert!((i.mu - 7.0).abs() < 0.03 && (i.sigma - 0.8).abs() < 0.03, "{i:?}");
    assert!((o.mu - 5.0).abs() < 0.03 && (o.sigma - 0.6).abs() < 0.03, "{o:?}");
    let s = r.sessions.as_ref().unwrap();
    let think = s.think_s.unwrap();
    assert!((think.mu - 1.0).abs() < 0.03 && (think.sigma - 0.7).abs() < 0.03, "{think:?}");
    assert!((s.mean_steps - 5.0).abs() < 0.01, "{}", s.mean_steps);
}

#[test]
fn a_day_long_trace_has_an_hourly_profile() {
    // One session per minute for two days, none in hour 3 of either day.
    let requests: Vec<TraceRequest> = (0..2 * 24 * 60)
        .filter(|m| (m / 60) % 24 != 3)
        .map(|m| TraceRequest { arrival_us: m * 60_000_000, input_tokens: 10, output_tokens: 1, ..Default::default() })
        .collect();
    let a = fit(&Trace::new(512, requests)).arrivals.unwrap();
    let h = a.hourly.unwrap();
    assert_eq!(h[3], 0.0);
    assert!((h[0] - 24.0 / 23.0).abs() < 1e-9, "{h:?}");
}

fn loads(workload: &str) -> crate::scenario::Scenario {
    let text = format!(
        "name = \"fit\"\n[[providers]]\nname = \"{}\"\n[providers.pricing]\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n\n{workload}",
        render::PROVIDER_PLACEHOLDER
    );
    load(&SourceText { name: "fit.toml", text: &text }, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn the_printed_workload_loads_with_the_fitted_parameters() {
    let t = synthetic(500, 0.5, (7.0, 0.8), (5.0, 0.6), (1.0, 0.7));
    let r = fit(&t);
    let sc = loads(&r.workload_toml("agents"));
    let w = &sc.workloads[0];
    assert_eq!(w.name, "agents");
    let Dist::LogNormal { mu, sigma } = w.think_time else { panic!("{:?}", w.think_time) };
    let think = r.sessions.as_ref().unwrap().think_s.unwrap();
    assert!((mu - think.mu).abs() < 1e-6 && (sigma - think.sigma).abs() < 1e-6);
    // A trace without sessions: one-step sessions.
    let one: Vec<TraceRequest> = (0..50)
        .map(|i| TraceRequest {
            arrival_us: i * 1_000_000,
            input_tokens: 100 + i,
            output_tokens: 5 + i % 3,
            ..Default::default()
        })
        .collect();
    let text = fit(&Trace::new(512, one)).workload_toml("azure");
    assert!(text.contains("steps = 1\n") && text.contains("# no 24-hour profile: the trace spans 0.0 h"), "{text}");
    loads(&text);
}
