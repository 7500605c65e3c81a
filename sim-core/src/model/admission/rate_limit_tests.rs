//! Token-bucket cases with hand-computed waits and levels.

use super::*;

fn at(us: u64) -> SimTime {
    SimTime::from_micros(us)
}

fn secs(s: u64) -> SimTime {
    SimTime::from_micros(s * 1_000_000)
}

fn req(input_tokens: u64, output_tokens_reserved: u64) -> Demand {
    Demand { requests: 1, input_tokens, output_tokens_reserved }
}

fn limiter(rpm: Option<u64>, itpm: Option<u64>, otpm: Option<u64>, rule: OutputRule) -> RateLimiter {
    let limits = RateLimits { requests_per_min: rpm, input_tokens_per_min: itpm, output_tokens_per_min: otpm };
    RateLimiter::new(limits, rule).unwrap()
}

fn refused(wait_us: u64, bucket: Bucket) -> Result<(), RetryAfter> {
    Err(RetryAfter { wait: SimDuration::from_micros(wait_us), bucket })
}

#[test]
fn rpm_60_burst_of_61_admits_60_and_the_61st_waits_exactly_one_second() {
    let mut l = limiter(Some(60), None, None, OutputRule::Reserve);
    for _ in 0..60 {
        assert_eq!(l.try_admit(SimTime::ZERO, req(0, 0)), Ok(()));
    }
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 0)), refused(1_000_000, Bucket::Requests));
    // Half a second refills half a request: half the wait remains.
    assert_eq!(l.try_admit(at(500_000), req(0, 0)), refused(500_000, Bucket::Requests));
    assert_eq!(l.try_admit(at(999_999), req(0, 0)), refused(1, Bucket::Requests));
    assert_eq!(l.try_admit(secs(1), req(0, 0)), Ok(()));
    assert_eq!(l.try_admit(secs(1), req(0, 0)), refused(1_000_000, Bucket::Requests));
}

#[test]
fn a_refusal_takes_nothing_from_any_bucket() {
    let mut l = limiter(Some(100), Some(1_000), None, OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(600, 0)), Ok(()));
    // 400 left, 600 asked: 200 tokens at 1000/60 per second = 12 s.
    assert_eq!(l.try_admit(SimTime::ZERO, req(600, 0)), refused(12_000_000, Bucket::InputTokens));
    assert_eq!(l.requests.unwrap().level, 99 * 60_000_000);
    assert_eq!(l.input.unwrap().level, 400 * 60_000_000);
    assert_eq!(l.try_admit(secs(12), req(600, 0)), Ok(()));
    assert_eq!(l.input.unwrap().level, 0);
}

#[test]
fn retry_after_is_the_longest_wait_over_the_buckets() {
    // RPM 6: one request per 10 s. ITPM 600: 10 tokens per second.
    let mut l = limiter(Some(6), Some(600), None, OutputRule::Reserve);
    for _ in 0..6 {
        assert_eq!(l.try_admit(SimTime::ZERO, req(100, 0)), Ok(()));
    }
    // RPM needs 10 s, ITPM 5 s for 50 tokens.
    assert_eq!(l.try_admit(SimTime::ZERO, req(50, 0)), refused(10_000_000, Bucket::Requests));
    // ITPM needs 20 s for 200 tokens, RPM still 10 s.
    assert_eq!(l.try_admit(SimTime::ZERO, req(200, 0)), refused(20_000_000, Bucket::InputTokens));
    assert_eq!(l.try_admit(secs(20), req(200, 0)), Ok(()));
}

#[test]
fn a_wait_that_is_not_a_whole_microsecond_is_rounded_up() {
    // 7 tokens per minute: one token takes 60/7 s = 8,571,428.57 us.
    let mut l = limiter(None, Some(7), None, OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(7, 0)), Ok(()));
    assert_eq!(l.try_admit(SimTime::ZERO, req(1, 0)), refused(8_571_429, Bucket::InputTokens));
    assert_eq!(l.try_admit(at(8_571_428), req(1, 0)), refused(1, Bucket::InputTokens));
    assert_eq!(l.try_admit(at(8_571_429), req(1, 0)), Ok(()));
    // 8,571,429 x 7 = 60,000,003 units gained: 3 units above one token are left.
    assert_eq!(l.input.unwrap().level, 3);
}

#[test]
fn refill_stops_at_capacity_however_long_the_idle_time() {
    let mut l = limiter(Some(60), None, None, OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 0)), Ok(()));
    let later = SimTime::LIMIT;
    for _ in 0..60 {
        assert_eq!(l.try_admit(later, req(0, 0)), Ok(()));
    }
    assert_eq!(l.try_admit(later, req(0, 0)), refused(1_000_000, Bucket::Requests));
}

#[test]
fn an_earlier_instant_neither_refills_nor_drains() {
    let mut l = limiter(Some(60), None, None, OutputRule::Reserve);
    for _ in 0..60 {
        assert_eq!(l.try_admit(secs(10), req(0, 0)), Ok(()));
    }
    assert_eq!(l.try_admit(secs(5), req(0, 0)), refused(1_000_000, Bucket::Requests));
    assert_eq!(l.requests.unwrap().updated, secs(10));
}

#[test]
fn reserved_output_that_goes_unused_flows_back_at_completion() {
    // OTPM 1000: 1000/60 tokens per second.
    let mut l = limiter(None, None, Some(1_000), OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 800)), Ok(()));
    // 200 left, 300 asked: 100 tokens take 6 s.
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 300)), refused(6_000_000, Bucket::OutputTokens));
    l.correct_output(SimTime::ZERO, 800, 150);
    assert_eq!(l.output.unwrap().level, 850 * 60_000_000);
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 300)), Ok(()));
    assert_eq!(l.output.unwrap().level, 550 * 60_000_000);
}

#[test]
fn a_returned_reservation_never_lifts_a_bucket_above_capacity() {
    let mut l = limiter(None, None, Some(1_000), OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 300)), Ok(()));
    // After 60 s the bucket is full again before the reservation comes back.
    l.correct_output(secs(60), 300, 0);
    assert_eq!(l.output.unwrap().level, 1_000 * 60_000_000);
}

#[test]
fn output_beyond_the_reservation_is_charged() {
    let mut l = limiter(None, None, Some(600), OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 500)), Ok(()));
    l.correct_output(SimTime::ZERO, 500, 700);
    // 600 - 700 = -100 tokens: 100 tokens at 10 per second before anything passes.
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 0)), refused(10_000_000, Bucket::OutputTokens));
}

#[test]
fn charged_output_puts_the_bucket_in_deficit_and_holds_admissions_until_repaid() {
    // OTPM 600: 10 tokens per second.
    let mut l = limiter(Some(1_000), None, Some(600), OutputRule::ChargeOnCompletion);
    // The reservation is ignored at admission under this rule, however large.
    assert_eq!(l.impossible(req(0, 10_000)), None);
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 10_000)), Ok(()));
    assert_eq!(l.output.unwrap().level, 600 * 60_000_000);
    l.charge(SimTime::ZERO, 1_500);
    // -900 tokens: 90 s to reach zero.
    assert_eq!(l.try_admit(SimTime::ZERO, req(0, 0)), refused(90_000_000, Bucket::OutputTokens));
    assert_eq!(l.try_admit(secs(89), req(0, 0)), refused(1_000_000, Bucket::OutputTokens));
    // At exactly zero the bucket is no longer in deficit.
    assert_eq!(l.try_admit(secs(90), req(0, 0)), Ok(()));
    assert_eq!(l.output.unwrap().level, 0);
}

#[test]
fn a_demand_above_a_capacity_is_impossible_with_both_numbers() {
    let l = limiter(Some(60), Some(1_000), Some(4_000), OutputRule::Reserve);
    assert_eq!(l.impossible(req(1_000, 4_000)), None);
    assert_eq!(
        l.impossible(req(1_001, 4_000)),
        Some(Impossible { bucket: Bucket::InputTokens, demand: 1_001, capacity: 1_000 })
    );
    assert_eq!(
        l.impossible(req(10, 4_001)),
        Some(Impossible { bucket: Bucket::OutputTokens, demand: 4_001, capacity: 4_000 })
    );
    let msg = l.impossible(req(1_001, 0)).unwrap().to_string();
    assert!(msg.contains("1001") && msg.contains("ITPM") && msg.contains("1000"), "{msg}");
}

#[test]
fn admitting_an_impossible_demand_asks_for_the_longest_wait_rather_than_hanging() {
    let mut l = limiter(Some(60), Some(1_000), None, OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(1_001, 0)), refused(u64::MAX, Bucket::InputTokens));
    // Nothing was taken: the request bucket is still full.
    assert_eq!(l.requests.unwrap().level, 60 * 60_000_000);
}

#[test]
fn absent_limits_admit_everything_and_correct_nothing() {
    let mut l = limiter(None, None, None, OutputRule::Reserve);
    let huge = Demand { requests: u64::MAX, input_tokens: u64::MAX, output_tokens_reserved: u64::MAX };
    assert_eq!(l.impossible(huge), None);
    assert_eq!(l.try_admit(SimTime::ZERO, huge), Ok(()));
    l.correct_output(SimTime::ZERO, 10, 0);
    l.charge(SimTime::ZERO, 10);
    assert_eq!(l, limiter(None, None, None, OutputRule::Reserve));
}

#[test]
fn a_zero_limit_is_refused_naming_its_bucket() {
    let limits = RateLimits { requests_per_min: Some(10), input_tokens_per_min: None, output_tokens_per_min: Some(0) };
    let err = RateLimiter::new(limits, OutputRule::Reserve).unwrap_err();
    assert_eq!(err, RateLimitError::ZeroLimit(Bucket::OutputTokens));
    assert!(err.to_string().contains("OTPM"));
}

#[test]
fn the_largest_limits_and_instants_stay_exact() {
    // u64::MAX tokens per minute over 2^55 us: the product needs 119 bits.
    let mut l = limiter(None, Some(u64::MAX), None, OutputRule::Reserve);
    assert_eq!(l.try_admit(SimTime::ZERO, req(u64::MAX, 0)), Ok(()));
    assert_eq!(l.try_admit(SimTime::LIMIT, req(u64::MAX, 0)), Ok(()));
    // Empty again: one token needs 60,000,000 / (2^64 - 1) us, rounded up to 1.
    assert_eq!(l.try_admit(SimTime::LIMIT, req(1, 0)), refused(1, Bucket::InputTokens));
}
