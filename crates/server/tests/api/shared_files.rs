//! The cluster's shared file store: two nodes of one service (PostgreSQL, NATS with
//! JetStream), an upload broken off on one and resumed on the other, downloads from
//! either, and appends racing on both nodes. The whole cluster, with a balancer and a
//! node killed mid-upload, is in the end-to-end cluster test.

use std::time::Duration;

use async_nats::jetstream::object_store::ObjectStore;
use futures_util::{stream, StreamExt};
use lifeline_protocol::{ErrorCode, UploadCreated, UPLOAD_OFFSET_HEADER};
use lifeline_server::files::PART_BYTES;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{two_nodes, TwoNodes};

const MIB: usize = 1024 * 1024;

/// The bucket the nodes keep files in.
async fn bucket(nodes: &TwoNodes) -> ObjectStore {
    let client = async_nats::connect(&nodes.shared.nats.url)
        .await
        .expect("nats client");
    async_nats::jetstream::new(client)
        .get_object_store(&nodes.files_bucket)
        .await
        .expect("the nodes made the bucket")
}

impl TwoNodes {
    /// The technician's request to either node.
    async fn request(
        &self,
        node: usize,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let base = if node == 0 {
            self.first.url.clone()
        } else {
            self.second.url()
        };
        let token = self.first.technician.access_token().await.expect("token");
        self.first
            .http
            .request(method, format!("{base}{path}"))
            .bearer_auth(token.expose())
    }

    async fn append_request(
        &self,
        node: usize,
        upload: &UploadCreated,
        offset: u64,
    ) -> reqwest::RequestBuilder {
        self.request(node, reqwest::Method::PATCH, &upload.upload_url)
            .await
            .header(UPLOAD_OFFSET_HEADER, offset)
            .header("content-type", "application/offset+octet-stream")
    }

    async fn append(
        &self,
        node: usize,
        upload: &UploadCreated,
        offset: u64,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Result<reqwest::Response> {
        self.append_request(node, upload, offset)
            .await
            .body(body)
            .send()
            .await
    }

    async fn offset(&self, node: usize, upload: &UploadCreated) -> u64 {
        let response = self
            .request(node, reqwest::Method::HEAD, &upload.upload_url)
            .await
            .send()
            .await
            .expect("HEAD");
        assert_eq!(response.status(), 204);
        response.headers()[UPLOAD_OFFSET_HEADER]
            .to_str()
            .expect("text")
            .parse()
            .expect("number")
    }

    async fn download(&self, node: usize, file_id: Uuid, range: Option<&str>) -> reqwest::Response {
        let mut request = self
            .request(
                node,
                reqwest::Method::GET,
                &format!("/api/v1/files/{file_id}/content"),
            )
            .await;
        if let Some(range) = range {
            request = request.header("range", range);
        }
        request.send().await.expect("download")
    }

    /// The file's parts, as the database records them.
    async fn parts(&self, upload: &UploadCreated) -> Vec<lifeline_server::store::FilePart> {
        self.first
            .state()
            .store
            .file_parts(upload.file_id)
            .await
            .expect("parts")
    }

    /// Objects in the bucket, deleted ones left out.
    async fn objects(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut list = bucket(self).await.list().await.expect("list");
        while let Some(info) = list.next().await {
            let info = info.expect("object");
            if !info.deleted {
                names.push(info.name);
            }
        }
        names
    }

    async fn announce(&self, bytes: &[u8]) -> UploadCreated {
        let session = self.first.new_session().await;
        self.first
            .technician
            .create_upload(session.id, "big.bin", bytes.len() as u64, &sha256(bytes))
            .await
            .expect("announced")
    }
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Waits until a broken-off append's bytes are recorded and the offset stops moving.
async fn settled_offset(nodes: &TwoNodes, node: usize, upload: &UploadCreated) -> u64 {
    let mut offset = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = nodes.offset(node, upload).await;
        if now > 0 && now == offset {
            return now;
        }
        offset = now;
    }
    offset
}

#[tokio::test]
async fn an_upload_broken_off_on_one_node_resumes_on_the_other_and_both_serve_it() {
    let nodes = two_nodes().await;
    let bytes = sample(20 * MIB);
    let upload = nodes.announce(&bytes).await;

    // 12 MiB to the first node, then the connection breaks mid-body.
    let body = stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(&bytes[..12 * MIB])),
        Err(std::io::Error::other("cable pulled")),
    ]);
    let broken = nodes
        .append(0, &upload, 0, reqwest::Body::wrap_stream(body))
        .await;
    assert!(broken.is_err(), "the request failed mid-way");

    // The second node knows how far the first got: every byte that arrived counts.
    let offset = settled_offset(&nodes, 1, &upload).await;
    assert!(
        offset > PART_BYTES && offset <= 12 * MIB as u64,
        "at least one whole part and what followed it are kept: {offset}"
    );
    let rest = bytes[usize::try_from(offset).expect("fits")..].to_vec();
    let done = nodes
        .append(1, &upload, offset, rest)
        .await
        .expect("resumed");
    assert_eq!(done.status(), 200, "{:?}", done.text().await);

    let parts = nodes.parts(&upload).await;
    assert!(parts.len() >= 3, "8 MiB parts: {parts:?}");
    let mut next = 0;
    for part in &parts {
        assert_eq!(part.first_byte(), next, "parts follow each other");
        assert!(part.length() <= PART_BYTES);
        next += part.length();
    }
    assert_eq!(next, bytes.len() as u64);
    assert_eq!(nodes.objects().await.len(), parts.len(), "no stray objects");

    // Both nodes serve the whole file, and ranges across a part's edge.
    for node in [0, 1] {
        let whole = nodes.download(node, upload.file_id, None).await;
        assert_eq!(whole.status(), 200);
        assert_eq!(
            whole.headers()["content-length"],
            bytes.len().to_string().as_str()
        );
        let body = whole.bytes().await.expect("body");
        assert_eq!(sha256(&body), sha256(&bytes), "node {node} serves it whole");
    }
    let edge = PART_BYTES as usize;
    let range = format!("bytes={}-{}", edge - 1000, edge + 999);
    let part = nodes.download(1, upload.file_id, Some(&range)).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes {}-{}/{}", edge - 1000, edge + 999, bytes.len()).as_str()
    );
    assert_eq!(
        part.bytes().await.expect("body").as_ref(),
        &bytes[edge - 1000..edge + 1000]
    );
    let tail = nodes.download(0, upload.file_id, Some("bytes=-100")).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.expect("body").as_ref(),
        &bytes[bytes.len() - 100..]
    );
    let past = nodes
        .download(0, upload.file_id, Some("bytes=30000000-"))
        .await;
    assert_eq!(past.status(), 416);
}

#[tokio::test]
async fn of_two_appends_racing_on_two_nodes_only_one_counts() {
    let nodes = two_nodes().await;
    let bytes = sample(3 * MIB);
    let upload = nodes.announce(&bytes).await;

    // The first node gets 1 MiB at offset 0 and then waits, its part still open.
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    let first_mib = bytes::Bytes::copy_from_slice(&bytes[..MIB]);
    let slow_body = stream::once(async move { Ok::<_, std::io::Error>(first_mib) }).chain(
        stream::once(async move {
            let _ = held.await;
            Ok(bytes::Bytes::from_static(b"late"))
        }),
    );
    let slow = nodes
        .append_request(0, &upload, 0)
        .await
        .body(reqwest::Body::wrap_stream(slow_body));
    let slow = tokio::spawn(slow.send());
    for _ in 0..100 {
        if nodes.first.state().uploads.in_progress() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(nodes.first.state().uploads.in_progress(), 1);

    // Meanwhile the second node takes the whole file at 0: nothing counted there yet.
    let whole = nodes
        .append(1, &upload, 0, bytes.clone())
        .await
        .expect("second node");
    assert_eq!(whole.status(), 200, "{:?}", whole.text().await);

    // The first node's part, ended now, comes second: refused, and its object deleted.
    let _ = release.send(());
    let refused = slow.await.expect("joined").expect("answered");
    assert_eq!(refused.status(), 409);
    let error: lifeline_protocol::ApiError = refused.json().await.expect("typed");
    assert_eq!(error.code, ErrorCode::Conflict);
    let parts = nodes.parts(&upload).await;
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(nodes.objects().await, vec![parts[0].object.clone()]);
    let body = nodes
        .download(0, upload.file_id, None)
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(sha256(&body), sha256(&bytes));
}

#[tokio::test]
async fn a_cancelled_or_damaged_upload_leaves_nothing_in_the_bucket() {
    let nodes = two_nodes().await;
    let bytes = sample(10 * MIB);

    // Cancelled on the second node after 9 MiB arrived on the first.
    let cancelled = nodes.announce(&bytes).await;
    let partial = nodes
        .append(0, &cancelled, 0, bytes[..9 * MIB].to_vec())
        .await
        .expect("append");
    assert_eq!(partial.status(), 200);
    assert_eq!(
        nodes.objects().await.len(),
        2,
        "an 8 MiB part and a 1 MiB part"
    );
    let gone = nodes
        .request(1, reqwest::Method::DELETE, &cancelled.upload_url)
        .await
        .send()
        .await
        .expect("cancel");
    assert_eq!(gone.status(), 204);
    assert!(nodes.objects().await.is_empty(), "the parts went with it");

    // A body that does not match the announced SHA-256, in two appends.
    let damaged = nodes.announce(&bytes).await;
    let mut wrong = bytes.clone();
    wrong[5 * MIB] ^= 1;
    let first = nodes
        .append(0, &damaged, 0, wrong[..4 * MIB].to_vec())
        .await
        .expect("append");
    assert_eq!(first.status(), 200);
    let last = nodes
        .append(1, &damaged, 4 * MIB as u64, wrong[4 * MIB..].to_vec())
        .await
        .expect("append");
    assert_eq!(last.status(), 422);
    let error: lifeline_protocol::ApiError = last.json().await.expect("typed");
    assert_eq!(error.code, ErrorCode::ChecksumMismatch);
    assert!(
        nodes.objects().await.is_empty(),
        "a damaged file is not kept"
    );
}
