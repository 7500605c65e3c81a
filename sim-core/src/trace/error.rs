//! Trace parse errors, shared by every format: a problem names its 1-based
//! line and, where one is at fault, the field; the file is the caller's to add.

/// A problem in a trace file, on one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct TraceError {
    /// 1-based line number in the text.
    pub line: usize,
    pub kind: TraceErrorKind,
}

/// What is wrong with the line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceErrorKind {
    #[error("not valid JSON: {0}")]
    BadJson(String),
    #[error("expected a JSON object (one request per line), found {0}")]
    NotAnObject(String),
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("`{field}` must be a non-negative integer, found {found}")]
    NotCount { field: &'static str, found: String },
    #[error("`hash_ids` must be an array of block ids, found {0}")]
    HashIdsNotArray(String),
    #[error("`hash_ids[{index}]` must be a non-negative integer, found {found}")]
    BadHashId { index: usize, found: String },
    #[error("`timestamp` {0} ms is more than 100 years after the trace's first request")]
    TimestampTooLarge(u64),
    #[error("`{field}` {found} is more than {max} tokens (2^32, far beyond any context window)", max = crate::dist::MAX_TOKENS)]
    TooManyTokens { field: &'static str, found: u64 },
    #[error(
        "timestamp {timestamp} ms is earlier than the previous request's {previous} ms; \
         a Mooncake trace must be in arrival order (sort it by timestamp first)"
    )]
    TimestampBackwards { timestamp: u64, previous: u64 },
    #[error(
        "`hash_ids` has {ids} ids, but input_length {input} needs ceil({input} / {block}) = {expected} \
         blocks of {block} tokens (is the block size right?)"
    )]
    BlockCount { ids: usize, input: u64, block: u64, expected: u64 },
    #[error(
        "hash id {id} ends at token {end} here but at token {first_end} on line {first_line}; \
         a prefix-chained id names one prefix, so one length"
    )]
    BlockEndChanged { id: u64, end: u64, first_end: u64, first_line: usize },
    #[error("no requests: the text is empty or holds only blank lines")]
    Empty,
    /// A field of a CSV or JSON row of the Azure, generic or agent formats.
    #[error("`{field}`: {message}")]
    Field { field: String, message: String },
    /// A CSV header that lacks a required column (or repeats one).
    #[error("header: {0}")]
    Header(String),
}

impl TraceErrorKind {
    /// A problem with `field`'s value.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        TraceErrorKind::Field { field: field.into(), message: message.into() }
    }
}

/// The most problems a [`TraceErrors`] lists; further bad lines are only
/// counted (a wholly broken file should not bury the first problems).
pub const MAX_TRACE_ERRORS: usize = 50;

/// Every problem in a trace file, in line order: at most
/// [`MAX_TRACE_ERRORS`] of them, then how many more lines were bad.
/// Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(&self.errors, self.more))]
pub struct TraceErrors {
    /// The first problems, one per bad line, in line order.
    pub errors: Vec<TraceError>,
    /// Bad lines beyond `errors` (only counted).
    pub more: usize,
}

impl From<TraceError> for TraceErrors {
    fn from(error: TraceError) -> Self {
        TraceErrors { errors: vec![error], more: 0 }
    }
}

/// What follows the listed problems when `more` lines were also bad.
pub fn more_bad_lines(more: usize) -> String {
    format!("... and {more} more bad line{}", if more == 1 { "" } else { "s" })
}

/// One `line N: message` per problem, one per line, then the count of the rest.
fn render(errors: &[TraceError], more: usize) -> String {
    let mut lines: Vec<String> = errors.iter().map(TraceError::to_string).collect();
    if more > 0 {
        lines.push(more_bad_lines(more));
    }
    lines.join("\n")
}

/// Collects one problem per bad line, keeping the first [`MAX_TRACE_ERRORS`]
/// and counting the rest.
#[derive(Debug, Default)]
pub(super) struct Collector {
    errors: Vec<TraceError>,
    more: usize,
}

impl Collector {
    pub(super) fn push(&mut self, line: usize, kind: TraceErrorKind) {
        if self.errors.len() < MAX_TRACE_ERRORS {
            self.errors.push(TraceError { line, kind });
        } else {
            self.more += 1;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The problems so far, when the caller knows there is one.
    pub(super) fn fail(self) -> TraceErrors {
        TraceErrors { errors: self.errors, more: self.more }
    }

    /// `Ok(value)` when no line was bad.
    pub(super) fn finish<T>(mut self, value: T) -> Result<T, TraceErrors> {
        if self.errors.is_empty() {
            return Ok(value);
        }
        self.errors.sort_by_key(|e| e.line);
        Err(TraceErrors { errors: self.errors, more: self.more })
    }
}
