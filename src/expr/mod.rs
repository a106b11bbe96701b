//! Rule and enrichment expressions: one language, parsed once, lowered to every target.
//!
//! Pipeline: [`parse`] (text → [`Expr`], syntax errors as `ExprSyntax` diagnostics with spans
//! relative to the expression text) → [`check`] (types against a [`RecordSchema`] in a
//! [`Context`], every problem collected) → lowerings: [`Program`] (the local evaluator, also for
//! windowed rules through [`Accumulator`]s), [`python`] (the Lambda handlers, with
//! `targets/lambda/pipec_runtime.py`, laid out by [`pyfmt`]), [`sql`] (Flink SQL, the `flink`
//! engine) and [`filter`] (event-source-mapping filter patterns).
//!
//! The contract every target follows: records are [`validate`]d first and invalid ones are never
//! evaluated; evaluation uses SQL NULL and three-valued logic, checked 64-bit ints and exact
//! int/float comparison (see [`eval`], [`value`] and [`aggregate`] for the full rules); a rule
//! flags a record only when its value is TRUE. `tests/expr_semantics.rs` proves that the Python
//! lowering agrees with [`Program`] and that filter patterns never drop a flagged record.

pub mod aggregate;
pub mod ast;
pub mod check;
pub mod eval;
pub mod field;
pub mod filter;
pub mod lexer;
pub mod parser;
pub mod patterns;
pub mod pyfmt;
pub mod python;
pub mod sql;
pub mod timestamp;
pub mod types;
pub mod validate;
pub mod value;

pub use aggregate::{Accumulator, AggregateSpec};
pub use ast::Expr;
pub use check::{Context, Type, check};
pub use eval::Program;
pub use filter::filter_patterns;
pub use parser::parse;
pub use python::{PyWindow, lower as lower_python, lower_window as lower_python_window};
pub use types::{FieldSchema, RecordSchema, ValueType};
pub use validate::validate;
pub use value::Value;
