//! The two AWS targets, CloudFormation and Terraform, and everything they share: the resources'
//! names ([`names`]), the functions ([`function`]) and their handlers ([`lambda`]), IAM
//! statements ([`permissions`]), alarms and the dashboard ([`alarms`]), checkov skips ([`skips`]), event-source filters ([`filters`]),
//! Firehose prefixes ([`firehose`]), the Managed Service for Apache Flink application of the
//! flink engine ([`flink`]). The emitters differ only in how they write these down. The
//! resource-by-resource mapping between the two, `parity`, is test-only (feature `testing`):
//! the suite holds both emitters to it.

pub mod alarms;
pub mod bucket;
pub mod cloudformation;
pub mod filters;
pub mod firehose;
pub mod flink;
pub mod function;
pub mod index;
pub mod inline;
pub mod lambda;
pub mod names;
#[cfg(any(test, feature = "testing"))]
pub mod parity;
pub mod permissions;
pub mod skips;
pub mod terraform;
