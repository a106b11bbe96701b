//! The local Kinesis endpoint against kinesalite 3.3.3 (npm, the usual local Kinesis, which
//! reproduces Kinesis' validation order and errors): one corpus of raw requests — valid ones,
//! every validation failure, every limit, both content types, missing and unknown targets,
//! missing signatures, malformed bodies — sent to both servers, each answer reduced to its
//! HTTP status and `__type`.
//!
//! A case is either the same on both (and equal to what the case says), or one of the
//! documented differences where pipec follows AWS's documentation ([`Expect::Aws`], listed
//! in the README's table with the same references): for those the test checks both sides,
//! so the table stays true. After the corpus, both streams are read back from
//! `TRIM_HORIZON` with GetShardIterator/GetRecords and must hold the same records.
//!
//! Needs node and `tests/kinesis/node_modules` (`scripts/node-tools.sh`, part of `make tools`).

mod common;
#[path = "support/server.rs"]
mod server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ciborium::Value as Cbor;
use serde_json::{Value, json};

use common::{base64, temp_dir};
use server::{Run, SIGNED, SPEC};

const JSON: &str = "application/x-amz-json-1.1";
const CBOR: &str = "application/x-amz-cbor-1.1";
const STREAM: &str = "transactions";
const MIB: usize = 1 << 20;

/// kinesalite on 127.0.0.1 and a free port (stopped, by PID, on drop).
struct Kinesalite {
    child: Child,
    addr: String,
}

impl Kinesalite {
    fn start() -> Self {
        server::require_node_tools();
        let mut child = Command::new("node")
            .arg(server::kinesis_dir().join("kinesalite.cjs"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (scripts/node-tools.sh installs it)");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut port).unwrap();
        let port: u16 = port.trim().parse().unwrap_or_else(|_| panic!("kinesalite printed no port: {port:?}"));
        Self { child, addr: format!("127.0.0.1:{port}") }
    }
}

impl Drop for Kinesalite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a request is signed.
#[derive(Clone, Copy)]
enum Auth {
    Signed,
    None,
    NoSignature,
    NoDate,
    HeaderAndQuery,
}

/// One request.
struct Request {
    target: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    auth: Auth,
}

/// What both servers answer, or a documented difference (pipec follows AWS).
enum Expect {
    Same(u16, &'static str),
    Aws { pipec: (u16, &'static str), kinesalite: (u16, &'static str), doc: &'static str },
}

struct Case {
    name: String,
    request: Request,
    expect: Expect,
}

/// An answer: status, `__type` ("" for none) and the decoded body.
#[derive(Debug)]
struct Answer {
    status: u16,
    kind: String,
    body: Value,
}

/// Sends one request over HTTP/1.1 and reads the answer (a server may answer before the body
/// is all sent, as kinesalite does over its limit: a failed write is not an error here).
fn send(addr: &str, request: &Request) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_mins(1))).unwrap();
    let mut head =
        format!("POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", request.body.len());
    if let Some(content_type) = request.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    if let Some(target) = &request.target {
        head.push_str(&format!("X-Amz-Target: {target}\r\n"));
    }
    let (auth, date) = (SIGNED[0].1, SIGNED[1].1);
    match request.auth {
        Auth::Signed => head.push_str(&format!("Authorization: {auth}\r\nX-Amz-Date: {date}\r\n")),
        Auth::None => {}
        Auth::NoSignature => head.push_str(&format!(
            "Authorization: {}\r\nX-Amz-Date: {date}\r\n",
            auth.split(", Signature").next().unwrap()
        )),
        Auth::NoDate => head.push_str(&format!("Authorization: {auth}\r\n")),
        Auth::HeaderAndQuery => {
            head = head.replacen("POST / ", "POST /?X-Amz-Algorithm=AWS4-HMAC-SHA256 ", 1);
            head.push_str(&format!("Authorization: {auth}\r\nX-Amz-Date: {date}\r\n"));
        }
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes()).and_then(|()| s.write_all(&request.body));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no answer from {addr}"));
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    let body = decode(&head, &body);
    let kind = match &body {
        Value::Object(map) => map
            .get("__type")
            .or_else(|| map.get("Output").and_then(|o| o.get("__type")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim_start_matches("com.amazon.coral.service#")
            .to_owned(),
        Value::String(xml) if xml.starts_with('<') => xml[1..].split(['>', '/']).next().unwrap_or("").to_owned(),
        _ => String::new(),
    };
    Answer { status, kind, body }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..end]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 4 + size..];
    }
    out
}

/// A body as JSON: CBOR decoded (byte strings as base64, tags dropped), JSON parsed, anything
/// else as a string.
fn decode(head: &str, body: &[u8]) -> Value {
    if head.contains(CBOR) && !body.is_empty() {
        let value: Cbor = ciborium::de::from_reader(body).unwrap();
        return cbor_json(value);
    }
    serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn cbor_json(value: Cbor) -> Value {
    match value {
        Cbor::Integer(i) => json!(i128::from(i)),
        Cbor::Float(f) => json!(f),
        Cbor::Bytes(b) => json!(base64(&b)),
        Cbor::Text(t) => json!(t),
        Cbor::Bool(b) => json!(b),
        Cbor::Tag(_, inner) => cbor_json(*inner),
        Cbor::Array(items) => Value::Array(items.into_iter().map(cbor_json).collect()),
        Cbor::Map(entries) => Value::Object(
            entries.into_iter().map(|(k, v)| (k.as_text().unwrap_or("").to_owned(), cbor_json(v))).collect(),
        ),
        _ => Value::Null,
    }
}

fn target(op: &str) -> String {
    format!("Kinesis_20131202.{op}")
}

fn json_request(op: &str, body: &Value) -> Request {
    Request {
        target: Some(target(op)),
        content_type: Some(JSON),
        body: body.to_string().into_bytes(),
        auth: Auth::Signed,
    }
}

fn cbor_request(op: &str, body: &Cbor) -> Request {
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(body, &mut bytes).unwrap();
    Request { target: Some(target(op)), content_type: Some(CBOR), body: bytes, auth: Auth::Signed }
}

fn cmap(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (Cbor::Text(k.to_owned()), v)).collect())
}

fn put(data: &[u8], key: &str) -> Value {
    json!({ "StreamName": STREAM, "Data": base64(data), "PartitionKey": key })
}

fn records(n: usize, size: usize) -> Value {
    let entries: Vec<Value> = (0..n)
        .map(|i| json!({ "Data": base64(format!("{i:0size$}").as_bytes()), "PartitionKey": format!("k{i}") }))
        .collect();
    json!({ "StreamName": STREAM, "Records": entries })
}

/// Data of a record that only kinesalite stores (a documented difference): left out of the
/// read-back comparison by this prefix.
fn refused_by_pipec(len: usize) -> Vec<u8> {
    vec![b'Z'; len]
}

const V: u16 = 400;
const DOC_RECORD: &str = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html \
(\"The record size limit applies to the total size of the partition key and data blob\")";
const DOC_CALL: &str = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html \
(\"up to a limit of 5 MiB for the entire request, including partition keys\")";
const DOC_PATTERN: &str = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html \
(ExplicitHashKey `Pattern: 0|([1-9]\\d{0,38})`, SequenceNumberForOrdering `Pattern: 0|([1-9]\\d{0,128})`: the whole \
value must match; kinesalite anchors only the first alternative)";
const DOC_ITERATOR_PATTERN: &str = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html \
(StartingSequenceNumber `Pattern: 0|([1-9]\\d{0,128})`)";
const DOC_ARN: &str = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStream.html \
(request parameter StreamARN)";

fn same(cases: &mut Vec<Case>, name: &str, request: Request, status: u16, kind: &'static str) {
    cases.push(Case { name: name.to_owned(), request, expect: Expect::Same(status, kind) });
}

fn aws(
    cases: &mut Vec<Case>,
    name: &str,
    request: Request,
    pipec: (u16, &'static str),
    kinesalite: (u16, &'static str),
    doc: &'static str,
) {
    cases.push(Case { name: name.to_owned(), request, expect: Expect::Aws { pipec, kinesalite, doc } });
}

fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    let ok = put(b"{\"id\":1}", "k");
    // Envelope: content type, target, body, signature.
    same(&mut cases, "PutRecord, JSON", json_request("PutRecord", &ok), 200, "");
    same(
        &mut cases,
        "PutRecord, JSON with a charset",
        Request { content_type: Some("application/x-amz-json-1.1; charset=utf-8"), ..json_request("PutRecord", &ok) },
        200,
        "",
    );
    let cbor_ok = cmap(vec![
        ("StreamName", Cbor::Text(STREAM.into())),
        ("Data", Cbor::Bytes(b"{\"id\":2}".to_vec())),
        ("PartitionKey", Cbor::Text("k".into())),
    ]);
    same(&mut cases, "PutRecord, CBOR", cbor_request("PutRecord", &cbor_ok), 200, "");
    same(
        &mut cases,
        "no X-Amz-Target",
        Request { target: None, ..json_request("PutRecord", &ok) },
        V,
        "UnknownOperationException",
    );
    same(&mut cases, "unknown operation", json_request("Nope", &ok), V, "UnknownOperationException");
    same(
        &mut cases,
        "another service",
        Request { target: Some("DynamoDB_20120810.PutRecord".into()), ..json_request("PutRecord", &ok) },
        V,
        "UnknownOperationException",
    );
    same(
        &mut cases,
        "target without operation",
        Request { target: Some("Kinesis_20131202".into()), ..json_request("PutRecord", &ok) },
        V,
        "UnknownOperationException",
    );
    same(
        &mut cases,
        "no content type",
        Request { content_type: None, ..json_request("PutRecord", &ok) },
        404,
        "UnknownOperationException",
    );
    same(
        &mut cases,
        "no content type, no target",
        Request { content_type: None, target: None, ..json_request("PutRecord", &ok) },
        403,
        "AccessDeniedException",
    );
    same(
        &mut cases,
        "text/plain",
        Request { content_type: Some("text/plain"), ..json_request("PutRecord", &ok) },
        404,
        "UnknownOperationException",
    );
    same(
        &mut cases,
        "application/json",
        Request { content_type: Some("application/json"), ..json_request("PutRecord", &ok) },
        404,
        "UnknownOperationException",
    );
    same(
        &mut cases,
        "application/json, malformed",
        Request { content_type: Some("application/json"), body: b"{oops".to_vec(), ..json_request("PutRecord", &ok) },
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "empty body",
        Request { body: Vec::new(), ..json_request("PutRecord", &ok) },
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "empty body, unknown operation",
        Request { body: Vec::new(), ..json_request("Nope", &ok) },
        V,
        "UnknownOperationException",
    );
    same(
        &mut cases,
        "empty body, CBOR",
        Request { body: Vec::new(), ..cbor_request("PutRecord", &cbor_ok) },
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "malformed JSON",
        Request { body: b"{not json".to_vec(), ..json_request("PutRecord", &ok) },
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "JSON list",
        Request { body: b"[]".to_vec(), ..json_request("PutRecord", &ok) },
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "JSON string",
        Request { body: b"\"x\"".to_vec(), ..json_request("PutRecord", &ok) },
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "malformed CBOR",
        Request { body: vec![0xff, 0x00], ..cbor_request("PutRecord", &cbor_ok) },
        V,
        "SerializationException",
    );
    same(&mut cases, "CBOR list", cbor_request("PutRecord", &Cbor::Array(vec![])), V, "ValidationException");
    same(
        &mut cases,
        "no signature",
        Request { auth: Auth::None, ..json_request("PutRecord", &ok) },
        V,
        "MissingAuthenticationTokenException",
    );
    same(
        &mut cases,
        "signature without Signature=",
        Request { auth: Auth::NoSignature, ..json_request("PutRecord", &ok) },
        V,
        "IncompleteSignatureException",
    );
    same(
        &mut cases,
        "signature without a date",
        Request { auth: Auth::NoDate, ..json_request("PutRecord", &ok) },
        V,
        "IncompleteSignatureException",
    );
    same(
        &mut cases,
        "signature in header and query",
        Request { auth: Auth::HeaderAndQuery, ..json_request("PutRecord", &ok) },
        V,
        "InvalidSignatureException",
    );
    same(
        &mut cases,
        "body over 7 MiB",
        Request { body: vec![b' '; 10 * MIB], ..json_request("PutRecord", &ok) },
        413,
        "",
    );

    // PutRecord members.
    let with = |key: &str, value: Value| {
        let mut v = put(b"{\"id\":3}", "k");
        v[key] = value;
        v
    };
    let without = |key: &str| {
        let mut v = put(b"{\"id\":3}", "k");
        v.as_object_mut().unwrap().remove(key);
        v
    };
    same(&mut cases, "no PartitionKey", json_request("PutRecord", &without("PartitionKey")), V, "ValidationException");
    same(
        &mut cases,
        "empty PartitionKey",
        json_request("PutRecord", &with("PartitionKey", json!(""))),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "PartitionKey of 256",
        json_request("PutRecord", &with("PartitionKey", json!("p".repeat(256)))),
        200,
        "",
    );
    same(
        &mut cases,
        "PartitionKey of 257",
        json_request("PutRecord", &with("PartitionKey", json!("p".repeat(257)))),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "PartitionKey a number",
        json_request("PutRecord", &with("PartitionKey", json!(5))),
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "PartitionKey a list",
        json_request("PutRecord", &with("PartitionKey", json!(["k"]))),
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "PartitionKey null",
        json_request("PutRecord", &with("PartitionKey", Value::Null)),
        V,
        "ValidationException",
    );
    same(&mut cases, "no Data", json_request("PutRecord", &without("Data")), V, "ValidationException");
    same(
        &mut cases,
        "Data not base64",
        json_request("PutRecord", &with("Data", json!("not base64!"))),
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "Data of bad length",
        json_request("PutRecord", &with("Data", json!("aGk"))),
        V,
        "SerializationException",
    );
    same(&mut cases, "Data a number", json_request("PutRecord", &with("Data", json!(12))), V, "SerializationException");
    same(
        &mut cases,
        "Data a boolean",
        json_request("PutRecord", &with("Data", json!(true))),
        V,
        "SerializationException",
    );
    same(&mut cases, "Data empty", json_request("PutRecord", &with("Data", json!(""))), 200, "");
    same(
        &mut cases,
        "Data of 1 MiB + 1",
        json_request("PutRecord", &with("Data", json!(base64(&vec![b'x'; MIB + 1])))),
        V,
        "ValidationException",
    );
    cases.push(Case {
        name: "Data of 1 MiB with its partition key".into(),
        request: json_request("PutRecord", &put(&refused_by_pipec(MIB), "k")),
        expect: Expect::Aws { pipec: (V, "InvalidArgumentException"), kinesalite: (200, ""), doc: DOC_RECORD },
    });
    same(&mut cases, "no StreamName", json_request("PutRecord", &without("StreamName")), V, "ValidationException");
    same(
        &mut cases,
        "StreamName with a space",
        json_request("PutRecord", &with("StreamName", json!("bad name"))),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "StreamName of 129",
        json_request("PutRecord", &with("StreamName", json!("s".repeat(129)))),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "StreamName empty",
        json_request("PutRecord", &with("StreamName", json!(""))),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "another stream",
        json_request("PutRecord", &with("StreamName", json!("other"))),
        V,
        "ResourceNotFoundException",
    );
    same(&mut cases, "ExplicitHashKey 0", json_request("PutRecord", &with("ExplicitHashKey", json!("0"))), 200, "");
    same(
        &mut cases,
        "ExplicitHashKey 2^128-1",
        json_request("PutRecord", &with("ExplicitHashKey", json!(u128::MAX.to_string()))),
        200,
        "",
    );
    same(
        &mut cases,
        "ExplicitHashKey 2^128",
        json_request("PutRecord", &with("ExplicitHashKey", json!("340282366920938463463374607431768211456"))),
        V,
        "InvalidArgumentException",
    );
    same(
        &mut cases,
        "ExplicitHashKey not a number",
        json_request("PutRecord", &with("ExplicitHashKey", json!("abc"))),
        V,
        "ValidationException",
    );
    aws(
        &mut cases,
        "ExplicitHashKey with a leading 0",
        json_request("PutRecord", &{
            let mut v = put(&refused_by_pipec(16), "k");
            v["ExplicitHashKey"] = json!("01");
            v
        }),
        (V, "ValidationException"),
        (200, ""),
        DOC_PATTERN,
    );
    aws(
        &mut cases,
        "ExplicitHashKey of 40 digits",
        json_request("PutRecord", &with("ExplicitHashKey", json!("1".repeat(40)))),
        (V, "ValidationException"),
        (V, "InvalidArgumentException"),
        DOC_PATTERN,
    );
    same(
        &mut cases,
        "SequenceNumberForOrdering not a number",
        json_request("PutRecord", &with("SequenceNumberForOrdering", json!("abc"))),
        V,
        "ValidationException",
    );
    aws(
        &mut cases,
        "SequenceNumberForOrdering negative",
        json_request("PutRecord", &with("SequenceNumberForOrdering", json!("-1"))),
        (V, "ValidationException"),
        (V, "InvalidArgumentException"),
        DOC_PATTERN,
    );
    same(&mut cases, "everything missing", json_request("PutRecord", &json!({})), V, "ValidationException");
    same(&mut cases, "an unknown member", json_request("PutRecord", &with("Color", json!("blue"))), 200, "");
    same(
        &mut cases,
        "CBOR PartitionKey an integer",
        cbor_request(
            "PutRecord",
            &cmap(vec![
                ("StreamName", Cbor::Text(STREAM.into())),
                ("Data", Cbor::Bytes(b"x".to_vec())),
                ("PartitionKey", Cbor::from(5)),
            ]),
        ),
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "CBOR Data of 1 MiB + 1",
        cbor_request(
            "PutRecord",
            &cmap(vec![
                ("StreamName", Cbor::Text(STREAM.into())),
                ("Data", Cbor::Bytes(vec![b'x'; MIB + 1])),
                ("PartitionKey", Cbor::Text("k".into())),
            ]),
        ),
        V,
        "ValidationException",
    );

    // PutRecords.
    same(&mut cases, "PutRecords, 2 records", json_request("PutRecords", &records(2, 8)), 200, "");
    same(&mut cases, "PutRecords, 500 records", json_request("PutRecords", &records(500, 16)), 200, "");
    same(&mut cases, "PutRecords, 501 records", json_request("PutRecords", &records(501, 4)), V, "ValidationException");
    same(&mut cases, "PutRecords, no records", json_request("PutRecords", &records(0, 4)), V, "ValidationException");
    same(
        &mut cases,
        "PutRecords, Records a string",
        json_request("PutRecords", &json!({ "StreamName": STREAM, "Records": "x" })),
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "PutRecords, a record without PartitionKey",
        json_request("PutRecords", &json!({ "StreamName": STREAM, "Records": [{ "Data": "aGk=" }] })),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "PutRecords, bad base64",
        json_request(
            "PutRecords",
            &json!({ "StreamName": STREAM, "Records": [{ "Data": "@@@@", "PartitionKey": "k" }] }),
        ),
        V,
        "SerializationException",
    );
    let mut big = records(2, 8);
    big["Records"][1]["Data"] = json!(base64(&vec![b'x'; MIB + 1]));
    same(&mut cases, "PutRecords, one record of 1 MiB + 1", json_request("PutRecords", &big), V, "ValidationException");
    let mut hash = records(2, 8);
    hash["Records"][1]["ExplicitHashKey"] = json!("340282366920938463463374607431768211456");
    same(
        &mut cases,
        "PutRecords, ExplicitHashKey 2^128",
        json_request("PutRecords", &hash),
        V,
        "InvalidArgumentException",
    );
    let mut other = records(1, 8);
    other["StreamName"] = json!("other");
    same(&mut cases, "PutRecords, another stream", json_request("PutRecords", &other), V, "ResourceNotFoundException");
    same(
        &mut cases,
        "PutRecords, CBOR",
        cbor_request(
            "PutRecords",
            &cmap(vec![
                ("StreamName", Cbor::Text(STREAM.into())),
                (
                    "Records",
                    Cbor::Array(vec![cmap(vec![
                        ("Data", Cbor::Bytes(b"{\"id\":4}".to_vec())),
                        ("PartitionKey", Cbor::Text("k".into())),
                    ])]),
                ),
            ]),
        ),
        200,
        "",
    );
    let entries: Vec<Value> = (0..6)
        .map(|_| json!({ "Data": base64(&refused_by_pipec(5 * MIB / 6 + 20_000)), "PartitionKey": "k" }))
        .collect();
    cases.push(Case {
        name: "PutRecords over 5 MiB (under kinesalite's 7 MiB body limit)".into(),
        request: json_request("PutRecords", &json!({ "StreamName": STREAM, "Records": entries })),
        expect: Expect::Aws { pipec: (V, "InvalidArgumentException"), kinesalite: (200, ""), doc: DOC_CALL },
    });

    // Stream operations.
    let named = json!({ "StreamName": STREAM });
    same(&mut cases, "DescribeStream", json_request("DescribeStream", &named), 200, "");
    same(&mut cases, "DescribeStream, no name", json_request("DescribeStream", &json!({})), V, "ValidationException");
    same(
        &mut cases,
        "DescribeStream, another stream",
        json_request("DescribeStream", &json!({ "StreamName": "other" })),
        V,
        "ResourceNotFoundException",
    );
    same(
        &mut cases,
        "DescribeStream, Limit 0",
        json_request("DescribeStream", &json!({ "StreamName": STREAM, "Limit": 0 })),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "DescribeStream, Limit a string",
        json_request("DescribeStream", &json!({ "StreamName": STREAM, "Limit": "1" })),
        V,
        "SerializationException",
    );
    same(
        &mut cases,
        "DescribeStream, CBOR",
        cbor_request("DescribeStream", &cmap(vec![("StreamName", Cbor::Text(STREAM.into()))])),
        200,
        "",
    );
    same(&mut cases, "DescribeStreamSummary", json_request("DescribeStreamSummary", &named), 200, "");
    same(
        &mut cases,
        "DescribeStreamSummary, bad name",
        json_request("DescribeStreamSummary", &json!({ "StreamName": "a b" })),
        V,
        "ValidationException",
    );
    same(&mut cases, "ListStreams", json_request("ListStreams", &json!({})), 200, "");
    same(
        &mut cases,
        "ListStreams, Limit 0",
        json_request("ListStreams", &json!({ "Limit": 0 })),
        V,
        "ValidationException",
    );
    same(&mut cases, "ListShards", json_request("ListShards", &named), 200, "");
    same(&mut cases, "ListShards, no stream", json_request("ListShards", &json!({})), V, "InvalidArgumentException");
    same(
        &mut cases,
        "ListShards, stream and NextToken",
        json_request("ListShards", &json!({ "StreamName": STREAM, "NextToken": "x" })),
        V,
        "InvalidArgumentException",
    );
    same(
        &mut cases,
        "CreateStream, the spec's stream",
        json_request("CreateStream", &json!({ "StreamName": STREAM, "ShardCount": 1 })),
        V,
        "ResourceInUseException",
    );
    same(
        &mut cases,
        "CreateStream, ShardCount 0",
        json_request("CreateStream", &json!({ "StreamName": "new", "ShardCount": 0 })),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "CreateStream, bad name",
        json_request("CreateStream", &json!({ "StreamName": "a/b", "ShardCount": 1 })),
        V,
        "ValidationException",
    );
    same(&mut cases, "ListTagsForStream", json_request("ListTagsForStream", &named), 200, "");
    same(
        &mut cases,
        "AddTagsToStream",
        json_request("AddTagsToStream", &json!({ "StreamName": STREAM, "Tags": { "team": "ops" } })),
        200,
        "",
    );
    same(
        &mut cases,
        "AddTagsToStream, no tags",
        json_request("AddTagsToStream", &json!({ "StreamName": STREAM, "Tags": {} })),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "AddTagsToStream, Tags a list",
        json_request("AddTagsToStream", &json!({ "StreamName": STREAM, "Tags": [] })),
        V,
        "SerializationException",
    );
    cases.push(Case {
        name: "DescribeStream by StreamARN".into(),
        request: json_request(
            "DescribeStream",
            &json!({ "StreamARN": format!("arn:aws:kinesis:us-east-1:000000000000:stream/{STREAM}") }),
        ),
        expect: Expect::Aws { pipec: (200, ""), kinesalite: (V, "ValidationException"), doc: DOC_ARN },
    });

    // Iterators and reads.
    let iterator =
        |kind: &str| json!({ "StreamName": STREAM, "ShardId": "shardId-000000000000", "ShardIteratorType": kind });
    same(
        &mut cases,
        "GetShardIterator TRIM_HORIZON",
        json_request("GetShardIterator", &iterator("TRIM_HORIZON")),
        200,
        "",
    );
    same(&mut cases, "GetShardIterator LATEST", json_request("GetShardIterator", &iterator("LATEST")), 200, "");
    same(
        &mut cases,
        "GetShardIterator, unknown type",
        json_request("GetShardIterator", &iterator("FIRST")),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "GetShardIterator AT_SEQUENCE_NUMBER without one",
        json_request("GetShardIterator", &iterator("AT_SEQUENCE_NUMBER")),
        V,
        "InvalidArgumentException",
    );
    let mut with_seq = iterator("TRIM_HORIZON");
    with_seq["StartingSequenceNumber"] = json!("1");
    same(
        &mut cases,
        "GetShardIterator TRIM_HORIZON with a number",
        json_request("GetShardIterator", &with_seq),
        V,
        "InvalidArgumentException",
    );
    let mut bad_seq = iterator("AT_SEQUENCE_NUMBER");
    bad_seq["StartingSequenceNumber"] = json!("x1");
    aws(
        &mut cases,
        "GetShardIterator, sequence number not a number",
        json_request("GetShardIterator", &bad_seq),
        (V, "ValidationException"),
        (V, "InvalidArgumentException"),
        DOC_ITERATOR_PATTERN,
    );
    same(
        &mut cases,
        "GetShardIterator AT_TIMESTAMP without one",
        json_request("GetShardIterator", &iterator("AT_TIMESTAMP")),
        V,
        "InvalidArgumentException",
    );
    let mut future = iterator("AT_TIMESTAMP");
    future["Timestamp"] = json!(4_000_000_000u64);
    same(
        &mut cases,
        "GetShardIterator AT_TIMESTAMP in the future",
        json_request("GetShardIterator", &future),
        V,
        "InvalidArgumentException",
    );
    let mut past = iterator("AT_TIMESTAMP");
    past["Timestamp"] = json!(1_000_000_000u64);
    same(&mut cases, "GetShardIterator AT_TIMESTAMP in the past", json_request("GetShardIterator", &past), 200, "");
    let mut text_time = iterator("AT_TIMESTAMP");
    text_time["Timestamp"] = json!("yesterday");
    same(
        &mut cases,
        "GetShardIterator, Timestamp a string",
        json_request("GetShardIterator", &text_time),
        V,
        "SerializationException",
    );
    let mut shard = iterator("LATEST");
    shard["ShardId"] = json!("shardId-000000000001");
    same(
        &mut cases,
        "GetShardIterator, another shard",
        json_request("GetShardIterator", &shard),
        V,
        "ResourceNotFoundException",
    );
    let mut no_shard = iterator("LATEST");
    no_shard.as_object_mut().unwrap().remove("ShardId");
    same(
        &mut cases,
        "GetShardIterator, no shard",
        json_request("GetShardIterator", &no_shard),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "GetRecords, a made-up iterator",
        json_request("GetRecords", &json!({ "ShardIterator": "abc" })),
        V,
        "InvalidArgumentException",
    );
    same(&mut cases, "GetRecords, no iterator", json_request("GetRecords", &json!({})), V, "ValidationException");
    same(
        &mut cases,
        "GetRecords, Limit 0",
        json_request("GetRecords", &json!({ "ShardIterator": "abc", "Limit": 0 })),
        V,
        "ValidationException",
    );
    same(
        &mut cases,
        "GetRecords, iterator of 513",
        json_request("GetRecords", &json!({ "ShardIterator": "a".repeat(513) })),
        V,
        "ValidationException",
    );
    cases
}

/// A record's `Data` as base64. kinesalite stores a record put over CBOR as a serialised
/// Node Buffer and answers JSON with `{"type": "Buffer", "data": [bytes]}`; an empty record's
/// `Data` it leaves out.
fn data_of(data: &Value) -> String {
    match data {
        Value::String(text) => text.clone(),
        Value::Object(buffer) => {
            let bytes: Vec<u8> =
                buffer["data"].as_array().unwrap().iter().map(|b| u8::try_from(b.as_u64().unwrap()).unwrap()).collect();
            base64(&bytes)
        }
        _ => String::new(),
    }
}

fn call(addr: &str, op: &str, body: &Value) -> Answer {
    send(addr, &json_request(op, body))
}

fn iterator(addr: &str, kind: &str, seq: Option<&str>) -> String {
    let mut body = json!({ "StreamName": STREAM, "ShardId": "shardId-000000000000", "ShardIteratorType": kind });
    if let Some(seq) = seq {
        body["StartingSequenceNumber"] = json!(seq);
    }
    let answer = call(addr, "GetShardIterator", &body);
    assert_eq!(answer.status, 200, "{addr} GetShardIterator {kind}: {answer:?}");
    answer.body["ShardIterator"].as_str().unwrap().to_owned()
}

/// Every record's data from `iterator` on, page by page (bounded).
fn read_all(addr: &str, mut iterator: String, limit: Option<u64>) -> Vec<String> {
    let mut data = Vec::new();
    for _ in 0..200 {
        let mut body = json!({ "ShardIterator": iterator });
        if let Some(limit) = limit {
            body["Limit"] = json!(limit);
        }
        let answer = call(addr, "GetRecords", &body);
        assert_eq!(answer.status, 200, "{addr} GetRecords: {answer:?}");
        let page = answer.body["Records"].as_array().unwrap();
        if page.is_empty() {
            return data;
        }
        data.extend(page.iter().map(|r| data_of(&r["Data"])));
        if limit.is_some() {
            return data;
        }
        answer.body["NextShardIterator"].as_str().unwrap().clone_into(&mut iterator);
    }
    panic!("{addr}: more than 200 pages");
}

#[test]
fn the_endpoint_answers_as_kinesalite_except_where_aws_documents_otherwise() {
    let kinesalite = Kinesalite::start();
    let created = call(&kinesalite.addr, "CreateStream", &json!({ "StreamName": STREAM, "ShardCount": 1 }));
    assert_eq!(created.status, 200, "kinesalite CreateStream: {created:?}");
    let scratch = temp_dir("kinesis-conformance");
    let dir = scratch.path();
    let run = Run::start_with(Path::new(SPEC), &dir.join("data"), &[]);
    let pipec = run.addr.clone();

    let corpus = corpus();
    let (mut agree, mut failures, mut differences) = (0, Vec::new(), 0);
    for case in &corpus {
        let ours = send(&pipec, &case.request);
        let theirs = send(&kinesalite.addr, &case.request);
        let (ours_k, theirs_k) = ((ours.status, ours.kind.as_str()), (theirs.status, theirs.kind.as_str()));
        if ours_k == theirs_k {
            agree += 1;
        }
        match &case.expect {
            Expect::Same(status, kind) => {
                if ours_k != (*status, *kind) || theirs_k != (*status, *kind) {
                    failures.push(format!(
                        "{}: expected {status} {kind} from both; pipec {ours_k:?} {}, kinesalite {theirs_k:?} {}",
                        case.name, ours.body, theirs.body
                    ));
                }
            }
            Expect::Aws { pipec: want, kinesalite: theirs_want, doc } => {
                differences += 1;
                if ours_k != *want || theirs_k != *theirs_want {
                    failures.push(format!(
                        "{} (documented difference, {doc}): expected pipec {want:?}, kinesalite {theirs_want:?}; \
                         got pipec {ours_k:?} {}, kinesalite {theirs_k:?} {}",
                        case.name, ours.body, theirs.body
                    ));
                }
            }
        }
        if ours.body.get("__type").is_some() {
            let message = ours.body["message"].as_str().unwrap_or("");
            assert!(!message.is_empty(), "{}: pipec's error has no message: {}", case.name, ours.body);
            if ours.kind == "ValidationException" {
                assert!(
                    message.contains("validation error") && message.contains("detected: Value "),
                    "{}: {message}",
                    case.name
                );
            }
        }
    }
    assert!(corpus.len() >= 60, "the corpus has {} requests", corpus.len());
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), corpus.len(), failures.join("\n"));
    assert_eq!(agree + differences, corpus.len());
    eprintln!(
        "kinesalite agreement: {agree} of {} requests (status and __type); {differences} documented differences",
        corpus.len()
    );

    // Both streams hold the same records (less those only kinesalite took), read back in order.
    let ours = read_all(&pipec, iterator(&pipec, "TRIM_HORIZON", None), None);
    let prefix = base64(b"ZZZ");
    let theirs: Vec<String> = read_all(&kinesalite.addr, iterator(&kinesalite.addr, "TRIM_HORIZON", None), None)
        .into_iter()
        .filter(|d| !d.starts_with(&prefix))
        .collect();
    assert_eq!(ours.len(), theirs.len(), "records read back");
    if let Some(i) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
        let show = |d: &str| d.chars().take(60).collect::<String>();
        panic!("record {i} differs: pipec {} kinesalite {}", show(&ours[i]), show(&theirs[i]));
    }
    assert!(ours.len() > 500);

    // Sequence numbers: AT_ and AFTER_SEQUENCE_NUMBER, LATEST, on both servers alike.
    for addr in [&pipec, &kinesalite.addr] {
        let latest = iterator(addr, "LATEST", None);
        let first = call(addr, "PutRecord", &put(b"{\"n\":1}", "k"));
        let second = call(addr, "PutRecord", &put(b"{\"n\":2}", "k"));
        let seq = first.body["SequenceNumber"].as_str().unwrap();
        assert!(seq < second.body["SequenceNumber"].as_str().unwrap());
        assert_eq!(read_all(addr, latest, None), [base64(b"{\"n\":1}"), base64(b"{\"n\":2}")], "{addr} LATEST");
        assert_eq!(read_all(addr, iterator(addr, "AT_SEQUENCE_NUMBER", Some(seq)), Some(1)), [base64(b"{\"n\":1}")]);
        assert_eq!(read_all(addr, iterator(addr, "AFTER_SEQUENCE_NUMBER", Some(seq)), Some(1)), [base64(b"{\"n\":2}")]);
    }
    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
}
