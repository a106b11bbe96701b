//! The S3 archive of `pipec replay` (`s3://bucket/prefix`): lists the objects under the
//! prefix (`ListObjectsV2`, every page) and streams each one (`GetObject`, chunk by chunk as
//! the body arrives), through the SDK client of [`super::aws::connect`].

use std::io::{self, Read};

use super::Connection;
use super::aws::{Aws, connect};
use super::error::{Error, sdk};
use crate::replay::archive::{Archive, Object, object_time};

/// An archive in S3.
pub struct S3Archive {
    runtime: tokio::runtime::Runtime,
    aws: Aws,
    bucket: String,
    prefix: String,
}

impl S3Archive {
    /// Connects (credentials from the default chain, `--region/--profile/--endpoint-url`).
    pub fn connect(c: &Connection, bucket: &str, prefix: &str) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("cannot start the async runtime: {e}")))?;
        let aws = runtime.block_on(connect(c))?;
        Ok(Self { runtime, aws, bucket: bucket.to_owned(), prefix: prefix.to_owned() })
    }
}

impl Archive for S3Archive {
    fn name(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    fn list(&mut self) -> io::Result<Vec<Object>> {
        let call = self.aws.call("ListObjectsV2");
        self.runtime.block_on(async {
            let mut pages =
                self.aws.s3.list_objects_v2().bucket(&self.bucket).prefix(&self.prefix).into_paginator().send();
            let mut out = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| io::Error::other(sdk(&call, &e).to_string()))?;
                for o in page.contents() {
                    let Some(key) = o.key() else { continue };
                    if key.ends_with('/') {
                        continue;
                    }
                    let size = o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
                    out.push(Object { key: key.to_owned(), size, time_ms: object_time(key) });
                }
            }
            Ok(out)
        })
    }

    fn open(&mut self, object: &Object) -> io::Result<Box<dyn Read + '_>> {
        let call = self.aws.call("GetObject");
        let got = self
            .runtime
            .block_on(self.aws.s3.get_object().bucket(&self.bucket).key(&object.key).send())
            .map_err(|e| io::Error::other(sdk(&call, &e).to_string()))?;
        Ok(Box::new(Body { runtime: &self.runtime, stream: got.body, chunk: Vec::new(), at: 0 }))
    }
}

/// An object's body as a blocking reader: one chunk of the stream at a time.
struct Body<'a> {
    runtime: &'a tokio::runtime::Runtime,
    stream: aws_sdk_s3::primitives::ByteStream,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.runtime.block_on(self.stream.try_next()).map_err(io::Error::other)? {
                Some(bytes) => {
                    self.chunk.clear();
                    self.chunk.extend_from_slice(&bytes);
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
