//! Reading an input file (scenario, a file a scenario names, trace, LiteLLM
//! catalog): only a regular file is read, so a FIFO or a device never blocks
//! the command, and any file that cannot be read is the input's fault (exit 2).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

/// An input file that is missing, unreadable or not a regular file.
#[derive(Debug)]
pub struct InputFileError {
    /// What the file is for, e.g. "trace" or "scenario file".
    pub what: &'static str,
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for InputFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {} {}: {}", self.what, self.path.display(), self.reason)
    }
}

impl std::error::Error for InputFileError {}

/// The bytes of the regular file at `path`.
pub fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, InputFileError> {
    read_regular(path, u64::MAX).map_err(|reason| InputFileError { what, path: path.to_path_buf(), reason })
}

/// At most the first `max_bytes` bytes of the regular file at `path` (a
/// caller that refuses large files asks for one byte more than it accepts,
/// so a huge file is never read whole).
pub fn read_prefix(path: &Path, what: &'static str, max_bytes: u64) -> Result<Vec<u8>, InputFileError> {
    read_regular(path, max_bytes).map_err(|reason| InputFileError { what, path: path.to_path_buf(), reason })
}

/// The UTF-8 text of the regular file at `path`.
pub fn read_string(path: &Path, what: &'static str) -> Result<String, InputFileError> {
    read_text(path).map_err(|reason| InputFileError { what, path: path.to_path_buf(), reason })
}

/// The UTF-8 text of the regular file at `path`; the error is a bare reason
/// (what sim-core's file sources return).
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = read_regular(path, u64::MAX)?;
    String::from_utf8(bytes).map_err(|_| "the file is not valid UTF-8 text".to_string())
}

fn read_regular(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let kind = fs::metadata(path).map_err(|e| e.to_string())?.file_type();
    if !kind.is_file() {
        return Err(not_regular(kind));
    }
    let file = File::open(path).map_err(|e| e.to_string())?;
    // Checked again on the opened file, in case the path was swapped meanwhile.
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(max_bytes)).unwrap_or(0));
    file.take(max_bytes).read_to_end(&mut bytes).map_err(|e: io::Error| e.to_string())?;
    Ok(bytes)
}

fn not_regular(kind: fs::FileType) -> String {
    let what = if kind.is_dir() { "a directory" } else { special_kind(kind) };
    format!("not a regular file ({what}); give the path of a file")
}

#[cfg(unix)]
fn special_kind(kind: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: fs::FileType) -> &'static str {
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::tests::Scratch;

    #[test]
    fn regular_files_are_read_and_others_refused() {
        let s = Scratch::new("input-file");
        let file = s.0.join("a.toml");
        fs::write(&file, "x = 1\n").unwrap();
        assert_eq!(read(&file, "scenario file").unwrap(), b"x = 1\n");
        let err = read(&s.0, "trace").unwrap_err();
        assert!(err.to_string().ends_with("not a regular file (a directory); give the path of a file"), "{err}");
        let err = read(&s.0.join("missing"), "trace").unwrap_err();
        assert!(err.to_string().starts_with("cannot read trace "), "{err}");
        #[cfg(unix)]
        assert!(read_text(Path::new("/dev/null")).unwrap_err().contains("(a device)"));
        fs::write(&file, [0xff]).unwrap();
        assert!(read_text(&file).unwrap_err().contains("UTF-8"));
    }
}
