//! Sweeps: grid order, range expansion, `--sweep` parsing, and every bad
//! sweep reported where it was written.

use super::sweep::{expand, value_label};
use super::*;
use toml::Value::{Float, Integer, String as Str};

const BASE: &str = "name = \"s\"\n[simulation]\nreplicates = 2\n[[providers]]\nname = \"p\"\n\
                    serving = { slots = 4 }\ncache = { ttl = \"5m\" }\n\
                    pricing = { input_usd_per_mtok = 1, output_usd_per_mtok = 2 }\n\
                    [[workloads]]\nname = \"w\"\nprovider = \"p\"\nsteps = 2\noutput_tokens = 5\n\
                    arrivals = { rate_per_s = 1, sessions = 3 }\n";

fn range(text: &str) -> SweepValues {
    SweepValues::Range(parse_range(text).unwrap())
}

fn sweep_of(file_tail: &str, flags: &[&str]) -> Result<Option<Sweep>, ScenarioError> {
    let text = format!("{BASE}{file_tail}");
    let src = SourceText { name: "s.toml", text: &text };
    let baseline = load(&src, &[])?;
    let extra: Vec<SweepSpec> = flags.iter().map(|f| parse_sweep(f).unwrap()).collect();
    load_sweep(&src, &[], &NoFiles, &baseline, &extra, &[])
}

fn problems(file_tail: &str, flags: &[&str]) -> Vec<String> {
    let err = sweep_of(file_tail, flags).expect_err("should be refused");
    err.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn the_grid_runs_the_first_parameter_outermost() {
    assert_eq!(grid(&[2, 3]), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    assert_eq!(grid(&[3]), [[0], [1], [2]]);
    let s = sweep_of(
        "[[sweep]]\npath = \"providers[0].cache.ttl\"\nvalues = [\"5m\", \"1h\"]\n",
        &["workloads[0].arrivals.rate_per_s=0.5,2"],
    )
    .unwrap()
    .unwrap();
    assert_eq!(s.parameters, ["providers[0].cache.ttl", "workloads[0].arrivals.rate_per_s"]);
    let labels: Vec<String> =
        s.points.iter().map(|p| p.values.iter().map(value_label).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(labels, ["5m 0.5", "5m 2", "1h 0.5", "1h 2"]);
    // Each point is the scenario with its values applied.
    assert_eq!(s.points[3].scenario.providers[0].cache.tiers[0].name, "1h");
    assert!(s.points.iter().all(|p| p.scenario.sweep.is_empty()));
}

#[test]
fn ranges_expand_linearly_or_geometrically_with_exact_ends() {
    assert_eq!(expand(&range("0..1:5"), false), [Float(0.0), Float(0.25), Float(0.5), Float(0.75), Float(1.0)]);
    assert_eq!(expand(&range("0.5..8:5:log"), false), [Float(0.5), Float(1.0), Float(2.0), Float(4.0), Float(8.0)]);
    // 1..10 in 3 geometric steps: the middle is sqrt(10) to 10 significant digits.
    assert_eq!(expand(&range("1..10:3:log"), false), [Float(1.0), Float(3.16227766), Float(10.0)]);
    // Integer keys round and drop duplicates: 1, 1.41, 2, 2.83, 4 -> 1, 1, 2, 3, 4.
    assert_eq!(expand(&range("1..4:5:log"), true), [Integer(1), Integer(2), Integer(3), Integer(4)]);
    assert_eq!(expand(&range("1..3:5"), true), [Integer(1), Integer(2), Integer(3)]);
    let list = SweepValues::List(vec![Str("5m".into()), Integer(3)]);
    assert_eq!(expand(&list, true), [Str("5m".into()), Integer(3)]);
}

#[test]
fn an_integer_key_swept_over_a_range_runs_integers() {
    let s = sweep_of("", &["providers[0].serving.slots=1..4:5:log"]).unwrap().unwrap();
    let slots: Vec<u32> = s.points.iter().map(|p| p.scenario.providers[0].serving.slots).collect();
    assert_eq!(slots, [1, 2, 3, 4]);
}

#[test]
fn sweep_flags_parse_lists_like_set_and_ranges() {
    let s = parse_sweep("providers[0].cache.ttl=5m, \"30m\",1h").unwrap();
    assert_eq!(s.path, "providers[0].cache.ttl");
    assert_eq!(s.values, SweepValues::List(vec![Str("5m".into()), Str("30m".into()), Str("1h".into())]));
    let s = parse_sweep("workloads[0].steps={ kind = \"fixed\", value = 3 },4").unwrap();
    let SweepValues::List(v) = &s.values else { panic!("{s:?}") };
    assert_eq!((v.len(), &v[1]), (2, &Integer(4)));
    assert_eq!(
        parse_sweep("a.b=0.5..8:5:log").unwrap().values,
        SweepValues::Range(SweepRange { lo: 0.5, hi: 8.0, steps: 5, log: true })
    );
    let err = |t: &str| parse_sweep(t).unwrap_err();
    assert!(err("a.b").contains("not of the form PATH=v1,v2"), "{}", err("a.b"));
    assert!(err("a.b=1..2:1").contains("steps `1` must be an integer in 2..=10000"), "{}", err("a.b=1..2:1"));
    assert_eq!(err("a.b=2..1:3"), "lo must be below hi, got 2..1");
    assert_eq!(err("a.b=0..1:3:log"), "a log range needs lo > 0 (its values are geometric), got 0");
    assert_eq!(err("a.b=1..2:3:cubic"), "unknown spacing `cubic`: write `log` or nothing");
    assert_eq!(err("a.b=1,,2"), "empty value in the list; write PATH=v1,v2,...");
    assert!(err("a.b=0.1..1").starts_with("`0.1..1` is a range without its number of steps: write lo..hi:steps"));
    assert!(err("a[x]=1").contains("not a non-negative integer"));
}

#[test]
fn a_bad_file_value_is_reported_at_the_value_with_its_path() {
    let tail = "[[sweep]]\npath = \"providers[0].cache.ttl\"\nvalues = [\"5m\", \"-1s\", \"1h\"]\n";
    let p = problems(tail, &[]);
    assert_eq!(p.len(), 1, "{p:?}");
    // Line 17 is the values line; "-1s" starts at column 17.
    assert_eq!(
        p[0],
        "s.toml:17:17: providers[0].cache.ttl: sweep value `-1s`: `-1s` is negative; durations must be >= 0"
    );
}

#[test]
fn bad_entries_are_located_in_the_file() {
    let tail = "[[sweep]]\npath = \"workloads[0].arrivals.rate_per_s\"\nrange = \"8..0.5:5\"\n\
                [[sweep]]\npath = \"providers[0].cache.ttl\"\n\
                [[sweep]]\npath = \"workloads[0].arrivals.rate_per_s\"\nvalues = [1]\nrange = \"1..2:2\"\n\
                [[sweep]]\npath = \"providers[0].cache.ttl\"\nvalues = []\n";
    let text = format!("{BASE}{tail}");
    let err = load(&SourceText { name: "s.toml", text: &text }, &[]).unwrap_err();
    let shown: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "s.toml:17:9: sweep[0].range: lo must be below hi, got 8..0.5",
            "s.toml:18:1: sweep[1].values: missing required key `values` \
             (the swept values: values = [...] or range = \"lo..hi:steps\")",
            "s.toml:21:8: sweep[2].path: `workloads[0].arrivals.rate_per_s` is swept twice; sweep each key once",
            "s.toml:23:9: sweep[2].range: give `values` or `range`, not both",
            "s.toml:25:8: sweep[3].path: `providers[0].cache.ttl` is swept twice; sweep each key once",
            "s.toml:26:10: sweep[3].values: must hold at least one value",
        ]
    );
}

#[test]
fn bad_flags_are_named_with_their_index() {
    let p =
        problems("", &["providers[0].cache.ttl=5m", "providers[0].serving.slots=2,-1", "providers[0].cache.ttl=1h"]);
    assert_eq!(
        p,
        ["--sweep #3 `providers[0].cache.ttl=1h`: providers[0].cache.ttl: `providers[0].cache.ttl` is already \
             swept by an earlier --sweep; sweep each key once"]
    );
    let p = problems("", &["providers[0].serving.slots=2,-1", "providers[0].nope=1"]);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p[0].starts_with(
            "--sweep #1 `providers[0].serving.slots=2,-1`: providers[0].serving.slots: sweep value `-1`: "
        ),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("--sweep #2 `providers[0].nope=1`: providers[0].nope: sweep value `1`: unknown key"),
        "{p:?}"
    );
    let p = problems("", &["simulation.seed=1,2"]);
    assert!(p[0].contains("a sweep point runs on the baseline's seed and replicates"), "{p:?}");
}

#[test]
fn too_many_points_are_refused_before_anything_loads() {
    let p =
        problems("", &["workloads[0].arrivals.rate_per_s=1..2:200", "providers[0].pricing.input_usd_per_mtok=1..2:51"]);
    assert_eq!(
        p,
        ["--sweep #1 `workloads[0].arrivals.rate_per_s=1..2:200`: sweep: the sweep has 10200 points (200 x 51); \
             at most 10000 are run: use fewer values or steps"]
    );
}

#[test]
fn variants_apply_on_top_of_each_point() {
    let tail = "[[variants]]\nname = \"big\"\nset = [\"providers[0].serving.slots=9\"]\n";
    let s = sweep_of(tail, &["providers[0].serving.slots=1,2"]).unwrap().unwrap();
    let slots: Vec<(u32, u32)> = s
        .points
        .iter()
        .map(|p| (p.scenario.providers[0].serving.slots, p.variants[0].scenario.providers[0].serving.slots))
        .collect();
    assert_eq!(slots, [(1, 9), (2, 9)], "the variant's own value wins at every point");
    assert!(sweep_of("", &[]).unwrap().is_none());
}
