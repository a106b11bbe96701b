//! `pipec schema`: the JSON Schema of the spec language, for editors.

use std::process::ExitCode;

use super::out;

pub(super) fn schema() -> ExitCode {
    out(&format!("{}\n", crate::schema::json()));
    ExitCode::SUCCESS
}
