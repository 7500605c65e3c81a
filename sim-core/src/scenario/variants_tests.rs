//! Variants: parsing `--variant`, and every way a variant can be refused.

use super::*;
use crate::scenario::{NoFiles, load};

/// The smallest scenario (its line count places the variants tables below).
const BASE: &str = crate::montecarlo::tests::SMALL;

fn with(variants: &str) -> String {
    format!("{BASE}{variants}")
}

fn problems(text: &str, extra: &[VariantSpec]) -> Vec<String> {
    let src = SourceText { name: "v.toml", text };
    let err = match load(&src, &[]) {
        Err(e) => e,
        Ok(base) => load_variants(&src, &[], &NoFiles, &base, extra).unwrap_err(),
    };
    err.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn cli_variants_split_at_top_level_commas() {
    let v =
        parse_variant("fast=providers[0].serving.slots=8, workloads[0].steps={ kind = \"fixed\", value = 3 }").unwrap();
    assert_eq!(v.name, "fast");
    let texts: Vec<String> = v.overrides.iter().map(|o| format!("{}={}", o.path, o.value)).collect();
    assert_eq!(texts, ["providers[0].serving.slots=8", "workloads[0].steps={ kind = \"fixed\", value = 3 }"]);
    assert!(parse_variant("fast").unwrap_err().contains("NAME=path=value"));
    assert_eq!(parse_variant("v=").unwrap_err(), "variant `v` sets nothing: give at least one path=value after `=`");
    assert!(parse_variant("baseline=a=1").unwrap_err().contains("`baseline` names the scenario"));
    assert!(parse_variant("x=seed").unwrap_err().contains("not of the form dotted.path=value"));
}

#[test]
fn file_variants_load_with_their_overrides_applied() {
    let text = with("[[variants]]\nname = \"dear\"\nset = [\"providers[0].pricing.output_usd_per_mtok=20\"]\n");
    let src = SourceText { name: "v.toml", text: &text };
    let base = load(&src, &[]).unwrap();
    let extra = parse_variant("cheap=providers[0].pricing.output_usd_per_mtok=0.5").unwrap();
    let vs = load_variants(&src, &[], &NoFiles, &base, &[extra]).unwrap();
    let prices: Vec<(&str, f64)> =
        vs.iter().map(|v| (v.name.as_str(), v.scenario.providers[0].pricing.base.output_usd_per_mtok)).collect();
    assert_eq!(prices, [("dear", 20.0), ("cheap", 0.5)]);
    assert!(vs.iter().all(|v| v.scenario.variants.is_empty()));
    assert_eq!(base.providers[0].pricing.base.output_usd_per_mtok, 2.0);
}

#[test]
fn bad_file_variants_are_located() {
    let got = problems(
        &with(
            "[[variants]]\nname = \"baseline\"\nset = []\n[[variants]]\nname = \"a\"\nset = [\"seed\"]\n\
             [[variants]]\nname = \"a\"\nset = []\n[[variants]]\nname = \"b\"\n",
        ),
        &[],
    );
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[0].starts_with("v.toml:13:8: variants[0].name: `baseline` names the scenario"), "{}", got[0]);
    assert!(got[1].starts_with("v.toml:17:8: variants[1].set[0]: `seed` is not of the form"), "{}", got[1]);
    assert!(got[2].contains("variants[2].name: variant `a` is defined twice"), "{}", got[2]);
    assert!(got[3].contains("variants[3].set: missing required key `set`"), "{}", got[3]);
}

#[test]
fn bad_variant_overrides_name_the_variant_and_the_override() {
    let text = with("[[variants]]\nname = \"neg\"\nset = [\"providers[0].pricing.output_usd_per_mtok=-1\"]\n");
    let got = problems(&text, &[]);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with(
            "variant `neg` `providers[0].pricing.output_usd_per_mtok=-1`: providers[0].pricing.output_usd_per_mtok:"
        ),
        "{}",
        got[0]
    );
    let cli = parse_variant("far=workloads[3].steps=2").unwrap();
    let got = problems(BASE, &[cli]);
    assert!(got[0].starts_with("variant `far` `workloads[3].steps=2`: "), "{}", got[0]);
    assert!(got[0].contains("out of range"), "{}", got[0]);
}

#[test]
fn variants_keep_seed_replicates_and_scope_names() {
    let got = problems(
        BASE,
        &[
            parse_variant("seeded=simulation.seed=9").unwrap(),
            parse_variant("renamed=providers[0].name=q,workloads[0].provider=q").unwrap(),
            parse_variant("dup=simulation.seed=1").unwrap(),
        ],
    );
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("variant `seeded`: a variant runs on the baseline's seed"), "{}", got[0]);
    assert!(
        got[1].starts_with("variant `renamed`: a variant must keep the baseline's provider and workload names"),
        "{}",
        got[1]
    );
    let twice = [parse_variant("x=name=a").unwrap(), parse_variant("x=name=b").unwrap()];
    let got = problems(BASE, &twice);
    assert_eq!(got, ["variant `x`: variant `x` is defined twice; variant names must be unique"]);
}
