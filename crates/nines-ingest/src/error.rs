//! What can go wrong while reading: errors that stop a run ([`IngestError`]) and the reasons a
//! single line is malformed ([`Reason`]), which are counted and do not stop a run unless it is
//! strict.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use crate::stats::Malformed;

/// An error that stops reading.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// An input file could not be opened.
    #[error("cannot open {}", path.display())]
    Open {
        /// The path as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// An input could not be read (this includes corrupt gzip data).
    #[error("cannot read {label}")]
    Read {
        /// The path as given, or `-` for standard input.
        label: String,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// In strict mode: the first malformed line.
    #[error("{}:{}: {} (the line starts `{}`)", .0.file, .0.line, .0.reason, .0.excerpt)]
    Malformed(Box<Malformed>),
    /// A CSV input has no column that the mapping names.
    #[error("{label} has no column `{column}` (its header has: {header})")]
    MissingColumn {
        /// The path as given, or `-`.
        label: String,
        /// The column the mapping asks for.
        column: String,
        /// The header line's columns, comma-separated.
        header: String,
    },
    /// A [`crate::LineParser`] was asked for a format that is not one record per line.
    #[error("{format} records are not one per line; read them with `read_inputs`")]
    NotLineOriented {
        /// The format's name.
        format: &'static str,
    },
}

/// Why one line (or CSV record) was not turned into an event.
///
/// The text of each reason is short and stable, so that counts by reason can be compared from
/// run to run: `unterminated quoted field`, `bad timestamp`, `missing status`, `invalid JSON`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum Reason {
    /// A `"` opens a field that the line never closes (often a line cut short).
    #[error("unterminated quoted field")]
    UnterminatedQuote,
    /// The line ends before the named field.
    #[error("missing {0}")]
    Missing(Cow<'static, str>),
    /// The named field is there but cannot be read as its type.
    #[error("bad {0}")]
    Bad(Cow<'static, str>),
    /// The line's shape differs from the format (a separator is not where it should be).
    #[error("line does not match the format")]
    Mismatch,
    /// The line is not JSON.
    #[error("invalid JSON")]
    InvalidJson,
    /// The line is JSON, but not an object.
    #[error("not a JSON object")]
    NotJsonObject,
    /// A CSV record has more or fewer fields than the header.
    #[error("wrong number of fields")]
    FieldCount,
    /// The line is longer than a reader buffers; it is skipped.
    #[error("line too long")]
    TooLong,
    /// A record that is missing a part it needs: a span without a duration, a trace without
    /// its root span, a JSON document cut short.
    #[error("incomplete {0}")]
    Incomplete(Cow<'static, str>),
    /// A record seen before (a span reported twice, a counter sampled twice at one time).
    #[error("duplicate {0}")]
    Duplicate(Cow<'static, str>),
    /// A counter sample older than one already counted for its series.
    #[error("out-of-order sample")]
    OutOfOrder,
    /// A Prometheus sample of a metric whose type cannot be read as asked (a gauge read as a
    /// counter).
    #[error("metric is a {0}, not a {1}")]
    WrongType(Cow<'static, str>, &'static str),
    /// A histogram bucket whose bound the spec does not declare.
    #[error("bucket bound not declared in the spec")]
    UndeclaredBucket,
}

impl Reason {
    /// A field that is absent where the format requires it.
    pub(crate) const fn missing(field: &'static str) -> Reason {
        Reason::Missing(Cow::Borrowed(field))
    }

    /// A field that cannot be read as its type.
    pub(crate) const fn bad(field: &'static str) -> Reason {
        Reason::Bad(Cow::Borrowed(field))
    }

    /// A record that lacks a part it needs.
    pub(crate) const fn incomplete(what: &'static str) -> Reason {
        Reason::Incomplete(Cow::Borrowed(what))
    }

    /// A record seen before.
    pub(crate) const fn duplicate(what: &'static str) -> Reason {
        Reason::Duplicate(Cow::Borrowed(what))
    }
}
