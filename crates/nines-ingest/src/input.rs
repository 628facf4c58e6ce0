//! Opening an input: a file or standard input, gzip recognised by its magic bytes (not by the
//! file name), and a leading UTF-8 byte-order mark dropped, so that every reader sees plain text.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::PathBuf;
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

use crate::error::IngestError;

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InputPath {
    /// Standard input, written `-`.
    Stdin,
    /// A file, plain or gzip-compressed.
    File(PathBuf),
}

impl InputPath {
    /// The path as given, or `-` for standard input: how stats and errors name the input.
    pub fn label(&self) -> String {
        match self {
            InputPath::Stdin => "-".to_owned(),
            InputPath::File(path) => path.display().to_string(),
        }
    }
}

impl From<&str> for InputPath {
    /// `-` is standard input; anything else is a file path.
    fn from(arg: &str) -> Self {
        if arg == "-" {
            InputPath::Stdin
        } else {
            InputPath::File(PathBuf::from(arg))
        }
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BYTE_ORDER_MARK: [u8; 3] = [0xef, 0xbb, 0xbf];

/// Checks that every file input can be opened, so that a typo in the last of many paths is
/// reported before the first is read.
///
/// # Errors
///
/// [`IngestError::Open`] for the first path that cannot be opened.
pub(crate) fn check_all(inputs: &[InputPath]) -> Result<(), IngestError> {
    for input in inputs {
        if let InputPath::File(path) = input {
            File::open(path).map_err(|source| IngestError::Open {
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

/// Opens an input as plain text; `raw_bytes` counts what is read from the file itself
/// (compressed bytes for gzip), for progress bars that compare against the file size.
///
/// # Errors
///
/// [`IngestError::Open`] when a file cannot be opened, [`IngestError::Read`] when its first
/// bytes cannot be read.
pub(crate) fn open(
    input: &InputPath,
    raw_bytes: &Rc<Cell<u64>>,
) -> Result<Box<dyn Read>, IngestError> {
    let raw: Box<dyn Read> = match input {
        InputPath::Stdin => Box::new(io::stdin().lock()),
        InputPath::File(path) => {
            Box::new(File::open(path).map_err(|source| IngestError::Open {
                path: path.clone(),
                source,
            })?)
        }
    };
    let counted = Counting {
        inner: raw,
        total: Rc::clone(raw_bytes),
    };
    decode(counted).map_err(|source| IngestError::Read {
        label: input.label(),
        source,
    })
}

/// Unwraps gzip (every member, as `cat a.gz b.gz` makes) and drops a byte-order mark.
pub(crate) fn decode(mut raw: impl Read + 'static) -> io::Result<Box<dyn Read>> {
    let head = read_head(&mut raw, GZIP_MAGIC.len())?;
    let text: Box<dyn Read> = if head == GZIP_MAGIC {
        Box::new(MultiGzDecoder::new(Cursor::new(head).chain(raw)))
    } else {
        Box::new(Cursor::new(head).chain(raw))
    };
    let mut text = text;
    let head = read_head(&mut text, BYTE_ORDER_MARK.len())?;
    if head == BYTE_ORDER_MARK {
        Ok(text)
    } else {
        Ok(Box::new(Cursor::new(head).chain(text)))
    }
}

/// Up to `count` bytes from the start of `reader`, fewer only at its end.
fn read_head(reader: &mut impl Read, count: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(count);
    reader.by_ref().take(count as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Counts the bytes that pass through a reader.
struct Counting<R> {
    inner: R,
    total: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.total.set(self.total.get() + read as u64);
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn decoded(bytes: Vec<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        decode(Cursor::new(bytes))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_is_found_by_its_magic_bytes() {
        let mut both = gzip(b"\xef\xbb\xbfone\n");
        both.extend(gzip(b"two\n"));
        assert_eq!(decoded(both), b"one\ntwo\n");
    }

    #[test]
    fn plain_text_passes_through_without_its_byte_order_mark() {
        assert_eq!(decoded(b"\xef\xbb\xbfa\n".to_vec()), b"a\n");
        assert_eq!(decoded(b"a".to_vec()), b"a");
        assert_eq!(decoded(Vec::new()), b"");
        assert_eq!(decoded(vec![0x1f]), [0x1f]);
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut bad = gzip(b"some text that compresses\n");
        let middle = bad.len() / 2;
        bad[middle] ^= 0xff;
        let mut out = Vec::new();
        let result = decode(Cursor::new(bad)).and_then(|mut r| r.read_to_end(&mut out));
        assert!(result.is_err());
    }

    #[test]
    fn dash_means_standard_input() {
        assert_eq!(InputPath::from("-"), InputPath::Stdin);
        assert_eq!(InputPath::from("a.log").label(), "a.log");
        assert_eq!(InputPath::Stdin.label(), "-");
    }
}
