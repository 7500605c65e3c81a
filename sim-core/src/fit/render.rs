//! A [`FitReport`] as a `[[workloads]]` TOML block ready to paste into a
//! scenario, with the fit statistics as comments.

use super::{FitReport, LognormalFit};

/// The provider name the block refers to; the user points it at theirs.
pub const PROVIDER_PLACEHOLDER: &str = "my-provider";

impl FitReport {
    /// A workload named `name` with this trace's fitted parameters.
    pub fn workload_toml(&self, name: &str) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!("# Fitted from {} requests by agentsim fit (docs/traces.md).", self.requests));
        match &self.arrivals {
            Some(a) => {
                line(format!(
                    "# arrivals: {} sessions over {:.1} s, Poisson rate {}/s, KS of the gaps vs exponential {:.3}",
                    a.sessions,
                    a.span_s,
                    if a.rate_per_s >= 1e-3 { format!("{:.6}", a.rate_per_s) } else { format!("{:.3e}", a.rate_per_s) },
                    a.ks
                ));
                match &a.hourly {
                    Some(h) => {
                        let cells: Vec<String> = h.iter().map(|x| format!("{x:.2}")).collect();
                        line(format!(
                            "# 24-hour profile (relative load by hour since the first request): {}",
                            cells.join(" ")
                        ));
                    }
                    None if a.span_s < 86_400.0 => line(format!(
                        "# no 24-hour profile: the trace spans {:.1} h, less than a day",
                        a.span_s / 3_600.0
                    )),
                    None => line(format!(
                        "# no 24-hour profile: {} session starts, fewer than {} (10 per hour)",
                        a.sessions,
                        super::MIN_PROFILE_SESSIONS
                    )),
                }
            }
            None => line("# arrivals: fewer than two session starts apart in time, no rate fitted".into()),
        }
        let stat = |what: &str, f: &Option<LognormalFit>| match f {
            Some(f) => format!(
                "# {what}: lognormal mu {:.4} sigma {:.4} (median {:.1}), n {}, zeros left out {}, KS {:.3}",
                f.mu,
                f.sigma,
                f.median(),
                f.n,
                f.zeros,
                f.ks
            ),
            None => format!("# {what}: too few distinct positive values to fit"),
        };
        line(stat("input tokens per request", &self.input_tokens));
        line(stat("output tokens per request", &self.output_tokens));
        if let Some(s) = &self.sessions {
            line(format!("# steps per session: mean {:.2}", s.mean_steps));
            line(stat("steps per session", &s.steps));
            line(stat("first request's input (task)", &s.task_tokens));
            line(stat("prompt growth beyond the previous output (tool results)", &s.tool_result_tokens));
            line(stat("think gap, seconds", &s.think_s));
        }
        line("[[workloads]]".into());
        line(format!("name = \"{}\"", name.replace(['"', '\\'], "_")));
        line(format!("provider = \"{PROVIDER_PLACEHOLDER}\"  # the provider this workload runs on"));
        let tokens = |f: &Option<LognormalFit>, fallback: f64| match f {
            Some(f) => format!("{{ kind = \"lognormal\", mu = {:.6}, sigma = {:.6} }}", f.mu, f.sigma),
            None => format!("{{ kind = \"fixed\", value = {} }}", fallback.round().max(0.0)),
        };
        let mean_input = self.input_tokens.map_or(1.0, |f| f.median());
        let mean_output = self.output_tokens.map_or(1.0, |f| f.median());
        match &self.sessions {
            Some(s) => {
                line(format!("task_tokens = {}", tokens(&s.task_tokens, mean_input)));
                line(format!("steps = {}", tokens(&s.steps, s.mean_steps)));
                line(format!("output_tokens = {}", tokens(&self.output_tokens, mean_output)));
                line(format!("tool_result_tokens = {}", tokens(&s.tool_result_tokens, 0.0)));
                line(format!(
                    "think_time = {}",
                    match &s.think_s {
                        Some(f) => format!("{{ kind = \"lognormal\", mu = {:.6}, sigma = {:.6} }}", f.mu, f.sigma),
                        None => "{ kind = \"fixed\", value = \"0s\" }".into(),
                    }
                ));
            }
            None => {
                line(format!("task_tokens = {}", tokens(&self.input_tokens, mean_input)));
                line("steps = 1".into());
                line(format!("output_tokens = {}", tokens(&self.output_tokens, mean_output)));
            }
        }
        match &self.arrivals {
            Some(a) => line(format!(
                "arrivals = {{ rate_per_s = {}, horizon = \"{}s\" }}",
                a.rate_per_s,
                a.span_s.ceil().max(1.0)
            )),
            None => line("arrivals = { rate_per_s = 1, sessions = 1 }".into()),
        }
        out
    }
}
