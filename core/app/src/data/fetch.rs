//! Downloading the MNIST IDX files (the only part of the data module that needs the network).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::idx::{read_idx, MNIST_FILES};
use super::DataError;

/// Mirrors tried in order, each holding the four `.gz` files.
const MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];
/// Connect and per-read timeout.
const TIMEOUT: Duration = Duration::from_secs(20);
/// No MNIST file is near this size; a bigger answer is not what we asked for.
const MAX_DOWNLOAD: u64 = 256 << 20;

/// Downloads the four MNIST `.gz` files into `dir` (created if needed) and checks each with
/// [`read_idx`]. Files already present and valid are kept. Returns the four paths
/// (train images, train labels, test images, test labels).
pub fn fetch_mnist(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    fetch_from(dir, &MIRRORS)
}

/// [`fetch_mnist`] with the mirror base URLs (ending in `/`) given, tried in order for each file.
fn fetch_from(dir: &Path, bases: &[&str]) -> Result<Vec<PathBuf>, DataError> {
    if bases.is_empty() {
        return Err(DataError::InvalidParam {
            name: "mirrors".to_string(),
            reason: "no download location given".to_string(),
        });
    }
    fs::create_dir_all(dir).map_err(|source| DataError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(TIMEOUT)
        .timeout_read(TIMEOUT)
        .timeout_write(TIMEOUT)
        .build();
    let mut paths = Vec::with_capacity(MNIST_FILES.len());
    for name in MNIST_FILES {
        let file = format!("{name}.gz");
        let dest = dir.join(&file);
        if dest.is_file() && read_idx(&dest).is_ok() {
            paths.push(dest);
            continue;
        }
        let mut last_err = None;
        for base in bases {
            let url = format!("{base}{file}");
            match fetch_one(&agent, &url, dir, &dest) {
                Ok(()) => {
                    last_err = None;
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        if let Some(e) = last_err {
            return Err(e);
        }
        paths.push(dest);
    }
    Ok(paths)
}

/// Downloads `url` to a temporary name in `dir`, checks it is a valid IDX file, then renames it to `dest`.
fn fetch_one(agent: &ureq::Agent, url: &str, dir: &Path, dest: &Path) -> Result<(), DataError> {
    let download = |reason: String| DataError::Download {
        url: url.to_string(),
        reason,
    };
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Status(code, _) => download(format!(
            "the server answered HTTP {code}; {}",
            by_hand_hint(dir)
        )),
        ureq::Error::Transport(t) => {
            let mut detail = t.kind().to_string();
            if let Some(m) = t.message() {
                detail = format!("{detail}: {m}");
            }
            if let Some(cause) = std::error::Error::source(&t) {
                detail = format!("{detail}: {cause}");
            }
            let what = match t.kind() {
                ureq::ErrorKind::Dns
                | ureq::ErrorKind::ConnectionFailed
                | ureq::ErrorKind::Io
                | ureq::ErrorKind::ProxyConnect => "the network is unreachable",
                _ => "the request failed",
            };
            download(format!("{what} ({detail}); {}", by_hand_hint(dir)))
        }
    })?;

    let file_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.part"));
    let result = (|| {
        let mut out = File::create(&tmp).map_err(|source| DataError::Write {
            path: tmp.clone(),
            source,
        })?;
        let mut body = response.into_reader().take(MAX_DOWNLOAD + 1);
        let copied = copy(&mut body, &mut out).map_err(|e| match e {
            CopyError::Read(e) => download(format!(
                "the connection failed during the download ({e}); {}",
                by_hand_hint(dir)
            )),
            CopyError::Write(source) => DataError::Write {
                path: tmp.clone(),
                source,
            },
        })?;
        if copied > MAX_DOWNLOAD {
            return Err(download(format!(
                "the answer is larger than {MAX_DOWNLOAD} bytes, not an MNIST file"
            )));
        }
        out.sync_all().map_err(|source| DataError::Write {
            path: tmp.clone(),
            source,
        })?;
        drop(out);
        read_idx(&tmp).map_err(|e| download(format!("the downloaded file is bad: {e}")))?;
        fs::rename(&tmp, dest).map_err(|source| DataError::Write {
            path: dest.to_path_buf(),
            source,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn by_hand_hint(dir: &Path) -> String {
    format!(
        "without network access, copy the four MNIST IDX files ({}, each raw or with .gz) into {} by hand",
        MNIST_FILES.join(", "),
        dir.display()
    )
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Like `io::copy`, but tells read failures (network) from write failures (disk).
fn copy(r: &mut impl Read, w: &mut impl Write) -> Result<u64, CopyError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        w.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::write_idx;

    #[test]
    fn unreachable_url_is_a_clear_download_error() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("mnist");
        let e = fetch_from(&target, &["http://127.0.0.1:9/"]).unwrap_err();
        let msg = e.to_string();
        match &e {
            DataError::Download { url, .. } => {
                assert_eq!(url, "http://127.0.0.1:9/train-images-idx3-ubyte.gz");
            }
            other => panic!("expected Download, got {other:?}"),
        }
        assert!(msg.contains("network is unreachable"), "{msg}");
        assert!(msg.contains("by hand"), "{msg}");
        assert!(msg.contains(&target.display().to_string()), "{msg}");
        // The folder was made, and no partial file is left behind.
        assert_eq!(fs::read_dir(&target).unwrap().count(), 0);
    }

    #[test]
    fn valid_files_present_are_kept_without_network() {
        let dir = tempfile::tempdir().unwrap();
        for (k, name) in MNIST_FILES.iter().enumerate() {
            let p = dir.path().join(format!("{name}.gz"));
            if k % 2 == 0 {
                write_idx(&p, &[2, 2, 2], &[0; 8], true).unwrap();
            } else {
                write_idx(&p, &[2], &[0, 1], true).unwrap();
            }
        }
        let paths = fetch_from(dir.path(), &["http://127.0.0.1:9/"]).unwrap();
        assert_eq!(paths.len(), 4);
        assert!(paths[0].ends_with("train-images-idx3-ubyte.gz"));
    }

    /// Serves `bodies(path)` over HTTP on loopback for exactly `requests` connections.
    fn serve(
        requests: usize,
        bodies: impl Fn(&str) -> Vec<u8> + Send + 'static,
    ) -> (String, std::thread::JoinHandle<()>) {
        use std::io::{BufRead, BufReader};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            for _ in 0..requests {
                let (stream, _) = listener.accept().unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                        break;
                    }
                }
                let body = bodies(&path);
                let mut out = stream;
                write!(
                    out,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .unwrap();
                out.write_all(&body).unwrap();
            }
        });
        (base, handle)
    }

    #[test]
    fn downloads_verify_and_rename() {
        let src = tempfile::tempdir().unwrap();
        let img = src.path().join("img.gz");
        let lab = src.path().join("lab.gz");
        write_idx(&img, &[2, 3, 3], &[7; 18], true).unwrap();
        write_idx(&lab, &[2], &[3, 4], true).unwrap();
        let (img, lab) = (fs::read(img).unwrap(), fs::read(lab).unwrap());
        let (base, server) = serve(4, move |path| {
            if path.contains("labels") {
                lab.clone()
            } else {
                img.clone()
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let paths = fetch_from(dir.path(), &[base.as_str()]).unwrap();
        server.join().unwrap();
        assert_eq!(paths.len(), 4);
        for p in &paths {
            assert!(p.is_file(), "{p:?}");
        }
        // Only the four files, no leftovers; and they load as a dataset.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4);
        let (train, test) = crate::data::idx::load_mnist_dir(dir.path()).unwrap();
        assert_eq!((train.len(), test.len()), (2, 2));
        assert_eq!(train.labels, vec![3, 4]);
    }

    #[test]
    fn bad_download_is_an_error_and_leaves_nothing() {
        let (base, server) = serve(1, |_| b"<html>not found</html>".to_vec());
        let dir = tempfile::tempdir().unwrap();
        let e = fetch_from(dir.path(), &[base.as_str()]).unwrap_err();
        // Not joined: had the request never arrived, the server would still wait in accept.
        drop(server);
        assert!(matches!(e, DataError::Download { .. }), "{e:?}");
        assert!(e.to_string().contains("not a valid IDX file"), "{e}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
