//! The connector jars the Flink application needs, named by their Maven coordinates, each with
//! its SHA-512 when pipec pins it: the one table that says which bytes go into `lib/` of the
//! application's zip. A jar pipec does not pin is pinned by the project's `pipec.lock`
//! ([`super::lock`], written by `pipec lock`). `pipec build` never fetches them (it stays
//! offline and deterministic); `pipec deploy` downloads them from Maven Central when it
//! packages the application, checks each against its pin and refuses a mismatch or a jar
//! without a pin (`deploy::maven`). The Terraform target checks the same pins with
//! `filesha512` before it uploads the application.

/// One Maven artifact (a jar) and the checksum it must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jar {
    pub group: &'static str,
    pub artifact: &'static str,
    pub version: &'static str,
    /// The SHA-512 of the jar, lower-case hex; `None` while it is not pinned (then `pipec
    /// deploy` refuses to package the application rather than trust unchecked bytes).
    pub sha512: Option<&'static str>,
}

/// Maven Central, where the jars are fetched from unless `PIPEC_MAVEN_REPOSITORY` says otherwise.
pub const MAVEN_CENTRAL: &str = "https://repo1.maven.org/maven2";

/// The Kinesis SQL connector for Flink 2.x (`'connector' = 'kinesis'`: the source and the sink
/// of the generated SQL), a shaded jar that carries the AWS SDK it needs. Its SHA-512 could not
/// be read where this table was written (no access to Maven Central), so `pipec lock` pins it
/// in the project's `pipec.lock`; to pin it here instead, copy it from
/// `<MAVEN_CENTRAL>/org/apache/flink/flink-sql-connector-aws-kinesis-streams/6.0.0-2.0/flink-sql-connector-aws-kinesis-streams-6.0.0-2.0.jar.sha512`
/// after checking it against the Apache release's signature.
pub const KINESIS_CONNECTOR: Jar = Jar {
    group: "org.apache.flink",
    artifact: "flink-sql-connector-aws-kinesis-streams",
    version: "6.0.0-2.0",
    sha512: None,
};

/// Every jar of the application, in the order they are packed. Managed Service for Apache Flink
/// takes one jar for a Python application (the `jarfile` run option): [`KINESIS_CONNECTOR`].
pub const JARS: &[Jar] = &[KINESIS_CONNECTOR];

impl Jar {
    /// `group:artifact:version`, as Maven names it.
    #[must_use]
    pub fn coordinates(&self) -> String {
        format!("{}:{}:{}", self.group, self.artifact, self.version)
    }

    /// `artifact-version.jar`.
    #[must_use]
    pub fn file_name(&self) -> String {
        format!("{}-{}.jar", self.artifact, self.version)
    }

    /// Where the jar sits in the application's zip.
    #[must_use]
    pub fn zip_path(&self) -> String {
        format!("lib/{}", self.file_name())
    }

    /// The jar's URL under a Maven repository (the standard layout: the group's dots become
    /// folders).
    #[must_use]
    pub fn url(&self, repository: &str) -> String {
        format!(
            "{}/{}/{}/{}/{}",
            repository.trim_end_matches('/'),
            self.group.replace('.', "/"),
            self.artifact,
            self.version,
            self.file_name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_maven_layout() {
        assert_eq!(
            KINESIS_CONNECTOR.url("https://repo1.maven.org/maven2/"),
            "https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-aws-kinesis-streams/6.0.0-2.0/flink-sql-connector-aws-kinesis-streams-6.0.0-2.0.jar"
        );
        assert_eq!(
            KINESIS_CONNECTOR.coordinates(),
            "org.apache.flink:flink-sql-connector-aws-kinesis-streams:6.0.0-2.0"
        );
        assert_eq!(KINESIS_CONNECTOR.zip_path(), "lib/flink-sql-connector-aws-kinesis-streams-6.0.0-2.0.jar");
    }
}
