//! Whether a pipeline's CloudFormation template can carry all of its Lambda code inline, and so
//! deploy as it is (from the console, `aws cloudformation deploy`, any tool) with nothing
//! uploaded first: CloudFormation's `ZipFile` holds one file of at most 4,096 characters
//! ([`INLINE_LIMIT`]). `pipec build --target cfn --inline` refuses a pipeline with a function
//! that does not fit and names it.
//!
//! The hot and windowed handlers import pipec's runtime modules (`pipec_runtime.py`,
//! `pipec_limits.py`), so they are three files of about 25,000 characters: over the limit for
//! every spec with rules, even minified (about 15,000). Pipelines without rules (a stream and
//! its archive) fit; the webhook fanout and the archive emptier are always inline.

use super::function::functions;
use super::lambda::{self, INLINE_LIMIT};
use crate::diagnostic::render::thousands;
use crate::ir::Pipeline;

/// A function whose code cannot be inline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLarge {
    /// CloudFormation logical id (`HotFunction`).
    pub id: String,
    /// Deployed name (`transactions-hot`).
    pub name: String,
    /// Its files and their sizes in characters, `index.py` first.
    pub files: Vec<(&'static str, usize)>,
}

impl TooLarge {
    /// All of its code, in characters.
    #[must_use]
    pub fn chars(&self) -> usize {
        self.files.iter().map(|(_, n)| n).sum()
    }

    /// Why it does not fit, in words: `3 files (index.py 8,038, ...), 24,945 characters`.
    #[must_use]
    pub fn why(&self) -> String {
        let total = thousands(self.chars());
        match self.files.as_slice() {
            [(name, _)] => format!("{name}, {total} characters (limit {})", thousands(INLINE_LIMIT)),
            files => {
                let parts: Vec<String> = files.iter().map(|(name, n)| format!("{name} {}", thousands(*n))).collect();
                format!("{} files ({}), {total} characters: `ZipFile` holds one file", files.len(), parts.join(", "))
            }
        }
    }
}

/// The functions of `p` whose code does not fit inline, in the order the template lists them
/// (empty: the template needs no upload).
pub fn too_large(p: &Pipeline) -> Result<Vec<TooLarge>, String> {
    let mut list = Vec::new();
    for f in functions(p) {
        let files = lambda::files(p, f)?;
        if !lambda::fits_inline(&files) {
            list.push(TooLarge {
                id: f.id(),
                name: f.name(p),
                files: files.iter().map(|(name, source)| (*name, source.chars().count())).collect(),
            });
        }
    }
    Ok(list)
}
