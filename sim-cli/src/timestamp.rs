//! UTC timestamps from the wall clock, for output directory names and the
//! manifest (the CLI may read the clock; sim-core never does).

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant broken into calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcTime {
    pub fn now() -> Self {
        // A clock before 1970 is a broken machine; the epoch is as good a name as any.
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Self::from_unix(secs as i64)
    }

    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        UtcTime { year, month, day, hour: rem / 3600, minute: rem % 3600 / 60, second: rem % 60 }
    }

    /// `YYYYmmddTHHMMSSZ`: sorts chronologically and is safe in file names.
    pub fn compact(&self) -> String {
        let UtcTime { year, month, day, hour, minute, second } = *self;
        format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
    }

    /// RFC 3339, `YYYY-mm-ddTHH:MM:SSZ`.
    pub fn rfc3339(&self) -> String {
        let UtcTime { year, month, day, hour, minute, second } = *self;
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
    }
}

/// Days since 1970-01-01 -> proleptic Gregorian (year, month, day); Howard
/// Hinnant's `civil_from_days`, exact for every i64 day count in range.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(UtcTime::from_unix(0).compact(), "19700101T000000Z");
        // 2000-02-29 (leap day of a century leap year) 12:34:56.
        assert_eq!(UtcTime::from_unix(951_827_696).rfc3339(), "2000-02-29T12:34:56Z");
        assert_eq!(UtcTime::from_unix(4_102_444_799).compact(), "20991231T235959Z");
        assert_eq!(UtcTime::from_unix(-1).rfc3339(), "1969-12-31T23:59:59Z");
    }
}
