//! The local evaluation (placeholder until the hot path's decision core lands).

use super::model::Case;
use super::outcome::Outcome;
use crate::ir::Pipeline;

pub fn evaluate(_pipeline: &Pipeline, _case: &Case) -> Outcome {
    todo!("the decision core")
}
