//! `[[variants]]`: unique names other than `baseline`, and overrides in
//! `--set` syntax; applying them is `variants::load_variants`'s job.

use super::context::{Ctx, is_valid_scenario_name};
use super::location::KeyPath;
use super::overrides::parse_override;
use super::raw::RawVariant;
use super::{BASELINE, VariantSpec};

/// The variants as written; `None` if any is invalid. Absent means none.
pub(crate) fn variants(cx: &mut Ctx<'_>, raw: &Option<Vec<RawVariant>>, path: &KeyPath) -> Option<Vec<VariantSpec>> {
    let list = raw.as_deref().unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    let mut ok = true;
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let at = path.index(i);
        let name_path = at.key("name");
        let name = cx.req(&v.name, &name_path, "the variant's name, e.g. name = \"ttl-1h\"");
        let name = name.filter(|n| match name_problem(n, &names) {
            Some(message) => cx.ensure(false, &name_path, || message),
            None => true,
        });
        let set_path = at.key("set");
        let mut overrides = Vec::new();
        match &v.set {
            None => cx.missing(&set_path, "the variant's overrides, e.g. set = [\"providers[0].cache.ttl=1h\"]"),
            Some(set) => {
                for (j, raw) in set.iter().enumerate() {
                    let entry = at.key("set").index(j);
                    let parsed = cx.read(raw, &entry).map(|text| parse_override(&text));
                    match parsed {
                        Some(Ok(o)) => overrides.push(o),
                        Some(Err(message)) => {
                            cx.ensure(false, &entry, || message);
                            ok = false;
                        }
                        None => ok = false,
                    }
                }
            }
        }
        match name {
            Some(name) if v.set.is_some() => {
                names.push(name.clone());
                out.push(VariantSpec { name, overrides });
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// Why `name` cannot name a variant given the names before it, if it cannot.
pub(crate) fn name_problem(name: &str, before: &[String]) -> Option<String> {
    if !is_valid_scenario_name(name) {
        Some(format!("must be non-empty and use only letters, digits, `.`, `_` and `-`, got {name:?}"))
    } else if name == BASELINE {
        Some(format!("`{BASELINE}` names the scenario as written; choose another variant name"))
    } else if before.iter().any(|b| b == name) {
        Some(format!("variant `{name}` is defined twice; variant names must be unique"))
    } else {
        None
    }
}
