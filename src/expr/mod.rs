//! Rule and enrichment expressions.

pub mod ast;
pub mod check;
pub mod lexer;
pub mod parser;
pub mod types;

pub use ast::Expr;
pub use check::{Context, Type, check};
pub use parser::parse;
pub use types::{FieldSchema, RecordSchema, ValueType};
