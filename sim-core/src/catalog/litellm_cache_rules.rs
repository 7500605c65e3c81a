//! Which cache behaviour (mode, TTL, minimum, granularity) a LiteLLM entry's
//! provider documents: the part of an imported provider the catalog does not hold.

/// Which provider's documented cache behaviour applies to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheRules {
    Anthropic,
    OpenAi,
    Gemini,
    DeepSeek,
    Xai,
    Fireworks,
    Groq,
    Cerebras,
    SambaNova,
    /// Any other provider: automatic prefix caching with generic assumptions.
    Other,
}

impl CacheRules {
    /// Infers the rules from `litellm_provider` (and the key, for models that a
    /// cloud resells: Claude on Bedrock or Vertex caches like Anthropic's API).
    pub fn infer(litellm_provider: &str, key: &str) -> Self {
        let p = litellm_provider;
        let k = key.to_ascii_lowercase();
        if p.contains("anthropic") || k.contains("claude") {
            CacheRules::Anthropic
        } else if p == "openai" || p == "azure" || p == "text-completion-openai" {
            CacheRules::OpenAi
        } else if p == "gemini" || (p.starts_with("vertex_ai") && k.contains("gemini")) {
            CacheRules::Gemini
        } else if p == "deepseek" {
            CacheRules::DeepSeek
        } else if p == "xai" {
            CacheRules::Xai
        } else if p == "fireworks_ai" {
            CacheRules::Fireworks
        } else if p == "groq" {
            CacheRules::Groq
        } else if p == "cerebras" {
            CacheRules::Cerebras
        } else if p == "sambanova" {
            CacheRules::SambaNova
        } else {
            CacheRules::Other
        }
    }

    /// (mode is explicit, default min tokens, granularity, ttl of the first
    /// tier, max lifetime, why). Numbers the providers' caching docs do not
    /// publish are marked "assumption" in the rendered comment and in
    /// docs/providers.md.
    pub(super) fn params(self) -> RuleParams {
        let r = |explicit, min_tokens, granularity, ttl, max_lifetime, note: &'static str| RuleParams {
            explicit,
            min_tokens,
            granularity,
            ttl,
            max_lifetime,
            note,
            assumed: assumed_in(note, ttl, granularity),
        };
        match self {
            CacheRules::Anthropic => r(
                true,
                1024,
                1,
                "5m",
                None,
                "Anthropic: explicit breakpoints (max 4, 20-block lookback), 5m/1h TTL refreshed on hit",
            ),
            CacheRules::OpenAi => r(
                false,
                1024,
                128,
                "10m",
                Some("1h"),
                "OpenAI: automatic >= 1024 tokens in 128-token steps, cleared after 5-10 min idle (10m assumed), always within 1h",
            ),
            CacheRules::Gemini => r(
                false,
                1024,
                1,
                "5m",
                None,
                "Gemini implicit cache: automatic, best effort; TTL unpublished (5m assumed)",
            ),
            CacheRules::DeepSeek => r(
                false,
                64,
                64,
                "24h",
                None,
                "DeepSeek: automatic disk cache, hours to days (24h assumed), 64-token units (assumption)",
            ),
            CacheRules::Xai => r(
                false,
                0,
                1,
                "5m",
                None,
                "xAI: automatic per server, may be evicted anytime; TTL unspecified (5m assumed)",
            ),
            CacheRules::Fireworks => r(false, 0, 1, "5m", None, "Fireworks: automatic; TTL unspecified (5m assumed)"),
            CacheRules::Groq => r(false, 0, 1, "2h", None, "Groq: automatic, expires after 2h unused"),
            CacheRules::Cerebras => r(
                false,
                0,
                128,
                "5m",
                None,
                "Cerebras: automatic in 100-600-token blocks (128 assumed), 5 min guaranteed",
            ),
            CacheRules::SambaNova => r(
                false,
                0,
                1,
                "5m",
                None,
                "SambaNova: automatic on some models, per instance; TTL unpublished (5m assumed)",
            ),
            CacheRules::Other => {
                r(false, 0, 1, "5m", None, "generic assumption: automatic prefix cache, 5m TTL refreshed on hit")
            }
        }
    }
}

pub(super) struct RuleParams {
    pub(super) explicit: bool,
    pub(super) min_tokens: u64,
    pub(super) granularity: u64,
    pub(super) ttl: &'static str,
    pub(super) max_lifetime: Option<&'static str>,
    pub(super) note: &'static str,
    /// Cache keys whose value the note says is assumed (marked so in the rendered table).
    pub(super) assumed: &'static [&'static str],
}

/// The cache keys a rule's note says are assumed: its TTL ("(5m assumed)",
/// or a generic assumption) and its granularity ("(128 assumed)", "64-token
/// units (assumption)"). Read from the note so the two never disagree.
fn assumed_in(note: &str, ttl: &str, granularity: u64) -> &'static [&'static str] {
    let generic = note.starts_with("generic assumption");
    let ttl_assumed = generic || note.contains(&format!("({ttl} assumed)"));
    let granularity_assumed = note.contains(&format!("({granularity} assumed)"))
        || note.contains(&format!("{granularity}-token units (assumption)"));
    match (ttl_assumed, granularity_assumed) {
        (true, true) => &["ttl", "granularity_tokens"],
        (true, false) => &["ttl"],
        (false, true) => &["granularity_tokens"],
        (false, false) => &[],
    }
}
