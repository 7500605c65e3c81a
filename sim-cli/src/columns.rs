//! Plain-text tables for the terminal: cells padded into aligned columns.

/// `rows` (the header first, if any) as lines of columns two spaces apart:
/// column `i` left-aligned where `left[i]`, else right-aligned, each as wide
/// as its widest cell; no trailing spaces.
pub fn align(rows: &[Vec<String>], left: &[bool]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..columns).map(|c| rows.iter().filter_map(|r| r.get(c)).map(String::len).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .zip(left)
                .map(|((cell, &w), &l)| if l { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let rows = [vec!["name", "n"], vec!["a", "100"], vec!["long name", "7"]]
            .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>());
        assert_eq!(align(&rows, &[true, false]), ["name         n", "a          100", "long name    7"]);
    }
}
