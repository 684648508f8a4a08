"""Fetch and unpack LFW without trusting the network or the archive.

The tutorial's single URL is often down and its 100+ MB download is easy to
cut off, so downloads resume where they stopped, are verified against known
checksums before they are used, and fall back to a mirror.  Archives are
checked member by member before anything is written, and are unpacked into a
temporary directory that is renamed into place only when complete, so an
interrupted run never leaves a half-extracted dataset that looks usable.
"""
import hashlib
import http.client
import logging
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from typing import NamedTuple, Optional

from tqdm import tqdm

from ..errors import GluonGanError

log = logging.getLogger(__name__)

COMPLETE = ".complete"  # marker written last into an extracted directory
_ARCHIVE_SUFFIX = re.compile(r"\.(tgz|tbz2?|txz|tar(\.(gz|bz2|xz))?)$", re.IGNORECASE)


class Source(NamedTuple):
    """One place LFW can come from, with what it must hash to."""
    name: str
    url: str
    filename: str
    md5: Optional[str] = None
    sha256: Optional[str] = None
    size: Optional[int] = None


LFW_SOURCES = (
    Source("lfw-deepfunneled (the tutorial's original URL)",
           "http://vis-www.cs.umass.edu/lfw/lfw-deepfunneled.tgz",
           "lfw-deepfunneled.tgz", md5="68331da3eb755a505a502b5aacb3c201"),
    Source("lfw-funneled (figshare mirror used by scikit-learn)",
           "https://ndownloader.figshare.com/files/5976015", "lfw-funneled.tgz",
           sha256="b47c8422c8cded889dc5a13418c4bc2abbda121092b3533a83306f90d900100a",
           size=243346528),
)


def _error(fmt, *args):
    """A GluonGanError whose message is guaranteed to be one line."""
    return GluonGanError(" ".join((fmt % args).splitlines()))


def _reason(err):
    if isinstance(err, urllib.error.URLError) and not isinstance(err, urllib.error.HTTPError):
        err = err.reason
    return str(err) or type(err).__name__


def _mismatch(path, md5=None, sha256=None, size=None):
    """Describe the first failed check ("expected ..., got ..."), or None when all pass."""
    actual = os.path.getsize(path)
    if size is not None and actual != size:
        return "expected %d bytes, got %d" % (size, actual)
    wanted = [(name, digest.lower()) for name, digest in (("md5", md5), ("sha256", sha256)) if digest]
    hashes = {name: hashlib.new(name) for name, _ in wanted}
    if hashes:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                for h in hashes.values():
                    h.update(chunk)
    for name, digest in wanted:
        if hashes[name].hexdigest() != digest:
            return "expected %s %s, got %s" % (name, digest, hashes[name].hexdigest())
    return None


def file_checksum_ok(path, md5=None, sha256=None, size=None):
    """True when ``path`` exists and passes every check given (streams, so large files are fine)."""
    return os.path.isfile(path) and _mismatch(path, md5, sha256, size) is None


def download(url, dest, md5=None, sha256=None, size=None, timeout=30, chunk_size=1 << 20):
    """Download ``url`` to ``dest`` resumably; ``dest`` only ever appears verified and whole."""
    dest = os.fspath(dest)
    if os.path.exists(dest):
        if file_checksum_ok(dest, md5, sha256, size):
            return dest
        log.warning("%s does not match its checksum; downloading it again", dest)
        os.remove(dest)
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    part = dest + ".part"
    for _ in range(2):  # a second pass only after a rejected, bad .part was deleted
        offset = os.path.getsize(part) if os.path.exists(part) else 0
        headers = {"User-Agent": "gluon-gan"}
        if offset:
            headers["Range"] = "bytes=%d-" % offset
        try:
            resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as err:
            if err.code != 416 or not offset:
                raise _error("cannot download %s: %s", url, _reason(err)) from None
            # Nothing left past our offset: the .part is either complete or junk.
            total = re.match(r"bytes \*/(\d+)", err.headers.get("Content-Range", ""))
            if (not total or int(total.group(1)) == offset) and not _mismatch(part, md5, sha256, size):
                os.replace(part, dest)
                return dest
            log.warning("%s does not verify; downloading %s from scratch", part, url)
            os.remove(part)
            continue
        except (OSError, http.client.HTTPException, ValueError) as err:
            raise _error("cannot download %s: %s", url, _reason(err)) from None
        with resp:
            _receive(resp, url, part, offset, size, chunk_size, os.path.basename(dest))
        problem = _mismatch(part, md5, sha256, size)
        if problem:
            os.remove(part)
            raise _error("downloaded file %s is corrupt (%s); it was deleted, run again or use "
                         "another source", dest, problem)
        os.replace(part, dest)
        return dest
    raise _error("cannot download %s: the server rejected resuming twice", url)


def _receive(resp, url, part, offset, size, chunk_size, desc):
    """Stream the response body into ``part``; keep what arrived if the stream breaks."""
    if resp.status == 206:
        start = re.match(r"bytes (\d+)-", resp.headers.get("Content-Range", ""))
        if not start or int(start.group(1)) != offset:
            os.remove(part)
            raise _error("cannot resume %s: the server sent the wrong byte range; run again to "
                         "download from scratch", url)
        mode = "ab"
    else:  # 200: the server ignored our Range header, so start over
        offset, mode = 0, "wb"
    length = resp.headers.get("Content-Length")
    total = offset + int(length) if length and length.isdigit() else size
    got, reason = offset, None
    with open(part, mode) as f, tqdm(total=total, initial=offset, desc=desc, unit="B", unit_scale=True,
                                     unit_divisor=1024, disable=None, leave=False) as bar:
        try:
            for chunk in iter(lambda: resp.read(chunk_size), b""):
                f.write(chunk)
                got += len(chunk)
                bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as err:  # reset, timeout, bad chunking
            reason = _reason(err)
    if reason or (total is not None and got < total):
        raise _error("download of %s stopped at %d of %s bytes%s; run again to resume", url, got,
                     total if total is not None else "unknown", " (%s)" % reason if reason else "")


def _resolve(parts, links, depth=0):
    """Archive-relative path components after following the archive's own symlinks; None if it escapes."""
    out = []
    for i, part in enumerate(parts):
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                return None
            out.pop()
            continue
        out.append(part)
        target = links.get("/".join(out))
        if target is not None:
            if depth > 32 or target.startswith("/"):
                return None
            return _resolve(out[:-1] + target.split("/") + list(parts[i + 1:]), links, depth + 1)
    return out


def _check_members(archive, members):
    """Refuse the whole archive if any member could write outside the target or is not a plain entry.

    We extract into a fresh empty directory, so the only symlinks a path can go
    through are the archive's own; following them here (rather than calling
    realpath before they exist) also catches chains like ``a -> .``, ``a/b -> ..``.
    """
    links = {}
    for m in members:
        parts = m.name.replace("\\", "/").rstrip("/").split("/")
        link = m.linkname.replace("\\", "/")
        parent = _resolve(parts[:-1], links)
        problem = None
        if parts[0] == "" or os.path.isabs(m.name) or re.match(r"[A-Za-z]:", parts[0]):
            problem = "has an absolute path"
        elif not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            problem = "is a device or FIFO"
        elif parent is None or _resolve(parts, links) is None:
            problem = "would be written outside the target directory"
        elif (m.issym() or m.islnk()) and (link.startswith("/") or _resolve(
                (parent if m.issym() else []) + link.split("/"), links) is None):
            problem = "links to %r, outside the target directory" % m.linkname
        if problem:
            raise _error("refusing to extract %s: member %r %s; the archive is damaged or malicious, "
                         "get it from a trusted source", archive, m.name, problem)
        if m.issym():
            links["/".join(parent + parts[-1:])] = link


def safe_extract(archive, target_dir):
    """Extract ``archive`` into ``target_dir`` all-or-nothing, after checking every member."""
    target_dir = os.path.abspath(target_dir)
    if os.path.isfile(os.path.join(target_dir, COMPLETE)):
        return target_dir
    parent, base = os.path.split(target_dir)
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            _check_members(archive, members)
            os.makedirs(parent, exist_ok=True)
            stale = [n for n in os.listdir(parent) if n.startswith(base + ".tmp-")]
            if stale:
                log.warning("leftovers of an interrupted extraction in %s: %s (safe to delete)",
                            parent, ", ".join(stale))
            tmp = tempfile.mkdtemp(prefix=base + ".tmp-", dir=parent)
            try:
                # Python >= 3.8.17/3.11.4 also has tarfile's own "data" filter: use it as a second line.
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(tmp, members=members, **extra)
                open(os.path.join(tmp, COMPLETE), "w").close()
                if os.path.isdir(target_dir) and not os.path.isfile(os.path.join(target_dir, COMPLETE)):
                    shutil.rmtree(target_dir)  # an incomplete directory from elsewhere
                try:
                    os.replace(tmp, target_dir)
                except OSError:
                    if not os.path.isfile(os.path.join(target_dir, COMPLETE)):
                        raise
                    shutil.rmtree(tmp)  # another process finished first
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise _error("cannot extract %s: %s; delete it and download it again", archive, _reason(err)) from None
    return target_dir


def _extract_dir(cache_dir, filename):
    name = os.path.basename(filename)
    stem = _ARCHIVE_SUFFIX.sub("", name)
    return os.path.join(cache_dir, stem if stem != name else name + ".d")


def fetch_lfw(cache_dir, sources=None, timeout=30):
    """Return an extracted LFW directory, trying each source in turn until one works.

    ``sources`` defaults to the module's ``LFW_SOURCES``, looked up at call time.
    """
    failures = []
    for src in LFW_SOURCES if sources is None else sources:
        target = _extract_dir(cache_dir, src.filename)
        try:
            if not os.path.isfile(os.path.join(target, COMPLETE)):  # archive may have been deleted
                archive = download(src.url, os.path.join(cache_dir, src.filename), src.md5,
                                   src.sha256, src.size, timeout)
                safe_extract(archive, target)
        except GluonGanError as err:
            log.warning("LFW variant %s failed: %s", src.name, err)
            failures.append("%s (%s): %s" % (src.name, src.url, err))
            continue
        log.info("using LFW variant: %s", src.name)
        return target
    raise _error("could not get LFW: tried %s. Pass an LFW archive you already have with --archive FILE, "
                 "or train on your own images with --data-dir DIR", "; ".join(failures))


def extract_archive(archive, cache_dir):
    """Unpack a user-supplied LFW archive (``--archive``) into the cache."""
    if not os.path.isfile(archive):
        raise _error("archive not found: %s; check the path passed to --archive", archive)
    return safe_extract(archive, _extract_dir(cache_dir, archive))
