"""Downloading and unpacking LFW against a local HTTP server: resume, verification, fallback, hostile archives."""
import hashlib
import http.server
import io
import logging
import os
import re
import socket
import tarfile
import threading

import pytest

from gluon_gan.data import download as dl
from gluon_gan.errors import GluonGanError

FACE = b"\xff\xd8\xff\xe0 not really a jpeg " * 50


def make_tar(*members, gz=True):
    """Tarball bytes; each member is ``(name, data)`` for a file or a ready ``TarInfo``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return buf.getvalue()


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


LFW_FILES = {"lfw/Ada_Lovelace/Ada_Lovelace_0001.jpg": FACE, "lfw/README.txt": b"faces\n",
             "lfw/Alan_Turing/Alan_Turing_0001.jpg": FACE[::-1]}
LFW_TGZ = make_tar(*LFW_FILES.items())


class Server:
    """Serves in-memory bytes per path; ``modes[path]`` picks how it misbehaves."""

    def __init__(self):
        self.files, self.modes, self.log, self.release = {}, {}, [], threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                rng, mode = self.headers.get("Range"), server.modes.get(self.path, "ok")
                server.log.append((self.path, rng))
                body = server.files.get(self.path)
                if mode == "hang":
                    server.release.wait(5)
                if body is None or mode == "404":
                    return self.send_error(404)
                start = 0
                if rng and mode != "ignore-range":
                    start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", "bytes */%d" % len(body))
                        self.send_header("Content-Length", "0")
                        return self.end_headers()
                    self.send_response(206)
                    self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
                else:
                    self.send_response(200)
                payload = body[start:]
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                cut = mode[1] if isinstance(mode, tuple) else len(payload)  # ("truncate", n)
                self.wfile.write(payload[:cut])
                self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.httpd.server_port, path)


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.release.set()
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(5)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def check_lfw_tree(root):
    for name, data in LFW_FILES.items():
        assert read(os.path.join(root, name)) == data
    assert os.path.isfile(os.path.join(root, dl.COMPLETE))


def test_download_verifies_extracts_and_then_stays_offline(server, tmp_path):
    server.files["/lfw.tgz"] = LFW_TGZ
    dest = tmp_path / "cache" / "lfw.tgz"
    got = dl.download(server.url("/lfw.tgz"), str(dest), md5=hashlib.md5(LFW_TGZ).hexdigest(),
                      sha256=hashlib.sha256(LFW_TGZ).hexdigest(), size=len(LFW_TGZ))
    assert got == str(dest) and dest.read_bytes() == LFW_TGZ
    assert not os.path.exists(str(dest) + ".part")
    assert server.log == [("/lfw.tgz", None)]
    assert dl.file_checksum_ok(str(dest), md5=hashlib.md5(LFW_TGZ).hexdigest(), size=len(LFW_TGZ))
    assert not dl.file_checksum_ok(str(dest), sha256="0" * 64)
    assert not dl.file_checksum_ok(str(tmp_path / "missing"))

    dl.download(server.url("/lfw.tgz"), str(dest), md5=hashlib.md5(LFW_TGZ).hexdigest())
    assert len(server.log) == 1  # already there and verified: no request
    check_lfw_tree(dl.safe_extract(str(dest), str(tmp_path / "cache" / "lfw")))


def test_wrong_checksum_deletes_everything(server, tmp_path):
    server.files["/lfw.tgz"] = LFW_TGZ
    dest = tmp_path / "lfw.tgz"
    with pytest.raises(GluonGanError) as err:
        dl.download(server.url("/lfw.tgz"), str(dest), sha256="ab" * 32)
    msg = str(err.value)
    assert "ab" * 32 in msg and hashlib.sha256(LFW_TGZ).hexdigest() in msg and str(dest) in msg
    assert "\n" not in msg
    assert os.listdir(str(tmp_path)) == []


def test_truncated_download_keeps_part_and_resumes_with_range(server, tmp_path):
    server.files["/lfw.tgz"] = LFW_TGZ
    server.modes["/lfw.tgz"] = ("truncate", 100)
    dest, md5 = str(tmp_path / "lfw.tgz"), hashlib.md5(LFW_TGZ).hexdigest()
    with pytest.raises(GluonGanError, match=r"stopped at 100 of %d bytes; run again to resume" % len(LFW_TGZ)):
        dl.download(server.url("/lfw.tgz"), dest, md5=md5)
    assert read(dest + ".part") == LFW_TGZ[:100]
    assert not os.path.exists(dest)

    server.modes["/lfw.tgz"] = "ok"
    dl.download(server.url("/lfw.tgz"), dest, md5=md5)
    assert server.log[-1] == ("/lfw.tgz", "bytes=100-")
    assert read(dest) == LFW_TGZ and not os.path.exists(dest + ".part")


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    server.files["/lfw.tgz"] = LFW_TGZ
    server.modes["/lfw.tgz"] = "ignore-range"
    dest = str(tmp_path / "lfw.tgz")
    with open(dest + ".part", "wb") as f:
        f.write(b"stale bytes from another file")
    dl.download(server.url("/lfw.tgz"), dest, md5=hashlib.md5(LFW_TGZ).hexdigest())
    assert server.log == [("/lfw.tgz", "bytes=29-")]
    assert read(dest) == LFW_TGZ and not os.path.exists(dest + ".part")


def test_416_accepts_a_complete_part_and_restarts_a_bad_one(server, tmp_path):
    server.files["/lfw.tgz"] = LFW_TGZ
    dest, md5 = str(tmp_path / "lfw.tgz"), hashlib.md5(LFW_TGZ).hexdigest()
    with open(dest + ".part", "wb") as f:
        f.write(LFW_TGZ)
    dl.download(server.url("/lfw.tgz"), dest, md5=md5)
    assert server.log == [("/lfw.tgz", "bytes=%d-" % len(LFW_TGZ))]
    assert read(dest) == LFW_TGZ

    os.remove(dest)
    with open(dest + ".part", "wb") as f:
        f.write(b"x" * (len(LFW_TGZ) + 5))  # longer than the file: can only be junk
    dl.download(server.url("/lfw.tgz"), dest, md5=md5)
    assert server.log[1:] == [("/lfw.tgz", "bytes=%d-" % (len(LFW_TGZ) + 5)), ("/lfw.tgz", None)]
    assert read(dest) == LFW_TGZ


def test_network_failures_are_one_line_errors(server, tmp_path):
    with pytest.raises(GluonGanError, match=r"^cannot download http://127\.0\.0\.1:\d+/nope: HTTP Error 404"):
        dl.download(server.url("/nope"), str(tmp_path / "x"))
    server.files["/slow"], server.modes["/slow"] = b"data", "hang"
    with pytest.raises(GluonGanError, match="cannot download .*/slow: .*timed out"):
        dl.download(server.url("/slow"), str(tmp_path / "x"), timeout=0.3)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GluonGanError, match="cannot download http://127.0.0.1:%d/x: .*refused" % port):
        dl.download("http://127.0.0.1:%d/x" % port, str(tmp_path / "x"))
    assert os.listdir(str(tmp_path)) == []


HOSTILE = {
    "traversal": ("../evil.txt", ("../evil.txt", b"owned")),
    "absolute": (None, None),  # filled in per test: an absolute path under tmp_path
    "symlink-out": ("link", link("link", "../../etc/passwd")),
    "symlink-abs": ("link", link("link", "/etc/passwd")),
    "hardlink-out": ("hard", link("hard", "../outside", tarfile.LNKTYPE)),
    "fifo": ("pipe", link("pipe", "", tarfile.FIFOTYPE)),
    "symlink-chain": ("l1/l2", [link("l1", "."), link("l1/l2", "..")]),
    # lexically inside (sub/evil.txt), but sub/up is the root, so ".." leaves it
    "through-symlink": ("sub/up/../evil.txt", [link("sub/up", ".."), ("sub/up/../evil.txt", b"owned")]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_members_are_refused_before_writing_anything(tmp_path, case):
    name, member = HOSTILE[case]
    if case == "absolute":
        name = str(tmp_path / "abs_evil")
        member = (name, b"owned")
    members = member if isinstance(member, list) else [member]
    archive = tmp_path / "bad.tgz"
    archive.write_bytes(make_tar(("ok/a.jpg", FACE), *members))
    target = tmp_path / "cache" / "lfw"
    with pytest.raises(GluonGanError) as err:
        dl.safe_extract(str(archive), str(target))
    assert repr(name) in str(err.value) and "\n" not in str(err.value)
    assert list(tmp_path.rglob("*")) == [archive]  # no target, no temp dir, nothing outside


def test_internal_symlink_is_allowed(tmp_path):
    archive = tmp_path / "ok.tar"
    archive.write_bytes(make_tar(("lfw/Ada/Ada_0001.jpg", FACE), link("lfw/latest.jpg", "Ada/Ada_0001.jpg"),
                                 link("lfw/same", "."), gz=False))
    out = dl.safe_extract(str(archive), str(tmp_path / "lfw"))
    assert os.path.islink(os.path.join(out, "lfw/latest.jpg"))
    assert read(os.path.join(out, "lfw/same/latest.jpg")) == FACE


def sources(server, *paths):
    return tuple(dl.Source("variant%s" % p, server.url(p), "lfw%s.tgz" % p.strip("/"),
                           md5=hashlib.md5(LFW_TGZ).hexdigest()) for p in paths)


def test_fetch_lfw_falls_back_to_the_next_source(server, tmp_path, caplog):
    server.files["/2"] = LFW_TGZ
    caplog.set_level(logging.INFO, logger="gluon_gan.data.download")
    out = dl.fetch_lfw(str(tmp_path), sources(server, "/1", "/2"))
    assert out == str(tmp_path / "lfw2")
    check_lfw_tree(out)
    assert "using LFW variant: variant/2" in caplog.text
    assert [r.levelname for r in caplog.records if "variant/1 failed" in r.getMessage()] == ["WARNING"]
    n = len(server.log)
    os.remove(str(tmp_path / "lfw2.tgz"))  # the extracted copy is enough
    assert dl.fetch_lfw(str(tmp_path), sources(server, "/2")) == out and len(server.log) == n


def test_fetch_lfw_all_failing_is_one_error_naming_every_url(server, tmp_path):
    server.files["/2"] = b"not a tarball"
    srcs = sources(server, "/1", "/2")
    with pytest.raises(GluonGanError) as err:
        dl.fetch_lfw(str(tmp_path), srcs)
    msg = str(err.value)
    assert msg.startswith("could not get LFW: tried variant/1 (%s): " % srcs[0].url)
    assert "; variant/2 (%s): " % srcs[1].url in msg
    assert "--archive FILE" in msg and "--data-dir DIR" in msg and "\n" not in msg


def test_extract_archive(tmp_path):
    with pytest.raises(GluonGanError, match="^archive not found: .*missing.tgz"):
        dl.extract_archive(str(tmp_path / "missing.tgz"), str(tmp_path))
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(GluonGanError, match="cannot extract .*junk.tgz"):
        dl.extract_archive(str(junk), str(tmp_path / "cache"))
    assert not (tmp_path / "cache" / "junk").exists()
    good = tmp_path / "mine.tar.gz"
    good.write_bytes(LFW_TGZ)
    out = dl.extract_archive(str(good), str(tmp_path / "cache"))
    assert out == str(tmp_path / "cache" / "mine")
    check_lfw_tree(out)


def test_interrupted_extraction_never_looks_complete(tmp_path, monkeypatch):
    archive = tmp_path / "lfw.tgz"
    archive.write_bytes(LFW_TGZ)
    target = tmp_path / "lfw"

    def killed(*args, **kwargs):
        raise KeyboardInterrupt
    with monkeypatch.context() as m:
        m.setattr(tarfile.TarFile, "extractall", killed)
        with pytest.raises(KeyboardInterrupt):
            dl.safe_extract(str(archive), str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lfw.tgz"]

    # What a SIGKILL leaves: a temp sibling, and (say) a target without the marker.
    (tmp_path / "lfw.tmp-dead").mkdir()
    (tmp_path / "lfw.tmp-dead" / "half.jpg").write_bytes(b"half")
    target.mkdir()
    (target / "stale.jpg").write_bytes(b"stale")
    check_lfw_tree(dl.safe_extract(str(archive), str(target)))
    assert not (target / "stale.jpg").exists()
    archive.write_bytes(b"corrupt now")  # a complete target is reused without reading the archive
    assert dl.safe_extract(str(archive), str(target)) == str(target)


def test_resumed_download_bar_starts_at_the_bytes_already_there(server, tmp_path, monkeypatch):
    import io
    bars = []

    class Recorded(dl.tqdm):  # the real tqdm, drawn into a buffer as if stderr were a terminal
        def __init__(self, *args, **kwargs):
            kwargs.update(file=io.StringIO(), disable=False)
            super().__init__(*args, **kwargs)
            bars.append(self)
    monkeypatch.setattr(dl, "tqdm", Recorded)
    server.files["/lfw.tgz"] = LFW_TGZ
    server.modes["/lfw.tgz"] = ("truncate", 100)
    dest, md5 = str(tmp_path / "lfw.tgz"), hashlib.md5(LFW_TGZ).hexdigest()
    with pytest.raises(GluonGanError):
        dl.download(server.url("/lfw.tgz"), dest, md5=md5)
    server.modes["/lfw.tgz"] = "ok"
    dl.download(server.url("/lfw.tgz"), dest, md5=md5)
    assert [(b.initial, b.n, b.total) for b in bars] == [(0, 100, len(LFW_TGZ)), (100, len(LFW_TGZ), len(LFW_TGZ))]
    assert "lfw.tgz" in bars[1].fp.getvalue()
