//! Timestamps of the CSV and JSONL trace formats: seconds as a number, or a
//! calendar date-time (RFC 3339, or Azure's `2023-11-16 18:17:03.9799600`),
//! read as microseconds on one axis so differences are exact.

/// Seconds (any epoch) as microseconds; the bound keeps every difference of
/// two timestamps far inside `i64`.
pub(super) fn from_seconds(s: f64) -> Result<i64, String> {
    if !s.is_finite() || s.abs() > 1e12 {
        return Err(format!("{s} is not a time in seconds (a finite number of magnitude at most 1e12)"));
    }
    Ok((s * 1e6).round() as i64)
}

/// A date-time `YYYY-MM-DD[T or space]HH:MM:SS[.fraction][Z or +HH:MM or -HH:MM]`
/// as microseconds since 1970-01-01T00:00:00Z. No offset = UTC. Fraction
/// digits past the sixth are dropped (Azure writes seven).
pub(super) fn from_date_time(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{}` is not a date-time like 2023-11-16T18:17:03.97Z or 2023-11-16 18:17:03.9799600",
            crate::echo::clip(text)
        )
    };
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let s = &t[r];
        if s.bytes().all(|c| c.is_ascii_digit()) { s.parse().map_err(|_| bad()) } else { Err(bad()) }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let mut rest = &t[19..];
    let mut micros = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        for (i, c) in frac[..digits].bytes().take(6).enumerate() {
            micros += i64::from(c - b'0') * 10i64.pow(5 - i as u32);
        }
        rest = &frac[digits..];
    }
    let offset_s = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let o = &rest[1..];
            if o.len() != 5 || o.as_bytes()[2] != b':' {
                return Err(bad());
            }
            let (h, m): (i64, i64) = (o[..2].parse().map_err(|_| bad())?, o[3..].parse().map_err(|_| bad())?);
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Ok(secs * 1_000_000 + micros)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_are_microseconds_since_the_epoch() {
        assert_eq!(from_date_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(from_date_time("1970-01-02 00:00:01.5"), Ok(86_401_500_000));
        // 2023-11-16 is day 19677 since the epoch.
        assert_eq!(from_date_time("2023-11-16 18:17:03.9799600"), Ok((19_677 * 86_400 + 65_823) * 1_000_000 + 979_960));
        assert_eq!(from_date_time("2026-06-01T05:40:20.151Z"), from_date_time("2026-06-01T07:40:20.151+02:00"));
        assert_eq!(
            from_date_time("2024-02-29T00:00:00Z").unwrap() - from_date_time("2024-02-28T00:00:00Z").unwrap(),
            86_400_000_000
        );
        for bad in [
            "",
            "2023-13-01 00:00:00",
            "2023-02-29 00:00:00",
            "2023-01-01",
            "2023-01-01T00:00:00+0200",
            "2023-01-01T00:00:00.Z",
            "yesterday",
        ] {
            assert!(from_date_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seconds_round_to_microseconds() {
        assert_eq!(from_seconds(1.5), Ok(1_500_000));
        assert_eq!(from_seconds(0.0000014), Ok(1));
        assert!(from_seconds(f64::NAN).is_err());
        assert!(from_seconds(1e13).is_err());
    }
}
