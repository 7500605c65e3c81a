//! The CSV subset of the Azure and generic trace formats: comma-separated
//! fields, optionally in double quotes (`""` is a quote inside one), one
//! record per line, a header first. Records never span lines.

/// The fields of one line, or what is wrong with its quoting.
pub(super) fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => {
                quoted = false;
                if !matches!(chars.peek(), None | Some(',')) {
                    return Err("a closing quote must end its field".into());
                }
            }
            (false, ',') => {
                out.push(std::mem::take(&mut field));
                at_start = true;
            }
            (_, c) => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed on its line".into());
    }
    out.push(field);
    Ok(out)
}

/// A header's columns: where each known name is (names compared without
/// case and surrounding blanks).
pub(super) struct Columns {
    names: Vec<String>,
}

impl Columns {
    pub(super) fn new(header: &[String]) -> Result<Columns, String> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        for (i, n) in names.iter().enumerate() {
            if !n.is_empty() && names[..i].contains(n) {
                return Err(format!("column `{n}` appears twice"));
            }
        }
        Ok(Columns { names })
    }

    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The position of a required column.
    pub(super) fn require(&self, name: &str) -> Result<usize, String> {
        self.find(name).ok_or_else(|| format!("no `{name}` column (columns: {})", self.names.join(", ")))
    }

    pub(super) fn len(&self) -> usize {
        self.names.len()
    }
}

/// The non-blank lines of `text` with their 1-based numbers, a leading
/// byte-order mark dropped (it is invisible in editors).
pub(super) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, if i == 0 { l.trim_start_matches('\u{feff}') } else { l }))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// A token count cell: a non-negative integer within the scenario bound.
pub(super) fn tokens(field: &str, cell: &str) -> Result<u64, super::TraceErrorKind> {
    let n: u64 = cell.trim().parse().map_err(|_| {
        super::TraceErrorKind::field(field, format!("`{}` is not a non-negative integer", crate::echo::clip(cell)))
    })?;
    check_tokens(field, n)
}

/// Bounds a token count like every token count of a scenario, so sums stay
/// far from `u64::MAX`.
pub(super) fn check_tokens(field: &str, n: u64) -> Result<u64, super::TraceErrorKind> {
    if n > crate::dist::MAX_TOKENS {
        return Err(super::TraceErrorKind::field(
            field,
            format!("{n} is more than {} tokens (2^32, far beyond any context window)", crate::dist::MAX_TOKENS),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_and_doubled_quotes() {
        assert_eq!(fields("a,\"b,c\",\"d\"\"e\",").unwrap(), ["a", "b,c", "d\"e", ""]);
        assert!(fields("\"open").is_err());
        assert!(fields("\"a\"b").is_err());
        let c = Columns::new(&fields("TIMESTAMP, ContextTokens").unwrap()).unwrap();
        assert_eq!((c.find("contexttokens"), c.len()), (Some(1), 2));
        assert!(c.require("x").unwrap_err().contains("columns: timestamp, contexttokens"));
        assert!(Columns::new(&fields("a,A").unwrap()).is_err());
    }
}
