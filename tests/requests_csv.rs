//! `requests.csv`: the documented columns, one row per request of replicate 0,
//! and invariants every row must satisfy.

use crate::support::{Scratch, agentsim, arg, list, read, small_scenario};

/// The small scenario's providers use cache tiers `30s` and `5m`.
const COLUMNS: &str = "replicate,variant,workload,session,step,provider,model,arrival_s,start_s,\
                       first_token_s,end_s,input_tokens,uncached_tokens,cache_read_tokens,\
                       cache_write_tokens,cache_write_tokens_30s,cache_write_tokens_5m,\
                       output_tokens,reasoning_tokens,cost_usd,cost_usd_uncached,\
                       cost_usd_cache_read,cost_usd_cache_write,cost_usd_output,status,attempt";
const N_COLUMNS: usize = 26;
const STATUS: usize = 24;

#[test]
fn requests_csv_rows_are_consistent() {
    let s = Scratch::new("requests");
    let out = s.path("run");
    agentsim(["run", &arg(&small_scenario(&s)), "--out", &arg(&out), "--quiet", "--requests-csv"]).expect_code(0);
    assert!(list(&out).contains(&"requests.csv".to_string()));

    let text = String::from_utf8(read(&out.join("requests.csv"))).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(COLUMNS));
    let mut count = 0u64;
    let mut cache_reads = 0u64;
    for line in lines {
        count += 1;
        let c: Vec<&str> = line.split(',').collect();
        assert_eq!(c.len(), N_COLUMNS, "{line}");
        assert_eq!((c[0], c[1]), ("0", "baseline"), "only replicate 0 is recorded: {line}");
        match c[2] {
            "coder" => assert_eq!((c[5], c[6]), ("alpha", "alpha-1"), "{line}"),
            "chat" => assert_eq!((c[5], c[6]), ("beta", "beta"), "model defaults to the provider name: {line}"),
            other => panic!("unknown workload {other}: {line}"),
        }
        let t = |i: usize| c[i].parse::<f64>().unwrap_or_else(|e| panic!("column {i} of {line}: {e}"));
        assert!(t(7) <= t(8) && t(8) <= t(9) && t(9) <= t(10), "arrival <= start <= first token <= end: {line}");
        let n = |i: usize| c[i].parse::<u64>().unwrap_or_else(|e| panic!("column {i} of {line}: {e}"));
        assert_eq!(n(12) + n(13) + n(14), n(11), "uncached + cache read + cache write = input: {line}");
        assert_eq!(n(15) + n(16), n(14), "per-tier writes sum to the writes: {line}");
        cache_reads += n(13);
        assert!(t(19) > 0.0, "{line}");
        let classes = t(20) + t(21) + t(22) + t(23);
        assert!((classes - t(19)).abs() <= 1e-12 * t(19), "classes sum to cost_usd: {line}");
        assert_eq!(c[STATUS], "ok", "no failures configured: {line}");
        assert_eq!(c[STATUS + 1], "1", "no retries: every row is a first attempt: {line}");
    }
    assert!(cache_reads > 0, "agent steps re-send their prefix, so some input is read from cache");

    // As many rows as replicate 0 counted requests.
    let replicates = String::from_utf8(read(&out.join("replicates.csv"))).unwrap();
    let header: Vec<&str> = replicates.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "requests").unwrap();
    let rep0: Vec<&str> = replicates.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(rep0[..3], ["0", "baseline", "all"]);
    assert_eq!(rep0[col].parse::<u64>().unwrap(), count);
}

#[test]
fn failed_attempts_are_rows_that_bill_nothing() {
    let s = Scratch::new("requests-errors");
    let out = s.path("run");
    let (scenario, out_arg) = (arg(&small_scenario(&s)), arg(&out));
    agentsim([
        "run",
        &scenario,
        "--out",
        &out_arg,
        "--quiet",
        "--requests-csv",
        "--replicates",
        "1",
        "--set",
        "providers[0].failures.error_rate=0.2",
        "--set",
        "providers[0].failures.max_retries=1",
    ])
    .expect_code(0);

    let text = String::from_utf8(read(&out.join("requests.csv"))).unwrap();
    let (mut ok, mut errors) = (0u64, 0u64);
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        match c[STATUS] {
            "ok" => ok += 1,
            "error" => {
                errors += 1;
                assert!(c[11..STATUS].iter().all(|x| *x == "0"), "a failed attempt has no tokens and no cost: {line}");
                assert_eq!(c[5], "alpha", "only alpha fails: {line}");
            }
            other => panic!("unknown status {other}: {line}"),
        }
    }
    assert!(errors > 0, "an error rate of 0.2 fails some attempts");

    let replicates = String::from_utf8(read(&out.join("replicates.csv"))).unwrap();
    let header: Vec<&str> = replicates.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = replicates.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[..3], ["0", "baseline", "all"]);
    let value = |name: &str| row[header.iter().position(|h| *h == name).unwrap()].parse::<u64>().unwrap();
    assert_eq!(
        (value("requests"), value("errors")),
        (ok, errors),
        "successful rows are `requests`, failed rows `errors`"
    );
    assert!(value("retries") <= errors);
}
