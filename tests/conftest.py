"""Shared fixtures: the repo on sys.path, seeded RNGs, tiny image folders made on the fly."""
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import gluon_gan  # noqa: E402,F401  (threading before mxnet)
import mxnet as mx  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    mx.random.seed(0)


def write_images(folder, count, size=(40, 48), seed=0, ext=".png"):
    """``count`` random RGB images as files under ``folder``; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rs = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(count):
        path = os.path.join(folder, "img%03d%s" % (i, ext))
        plt.imsave(path, rs.randint(0, 256, size + (3,)).astype(np.uint8))
        paths.append(path)
    return paths


@pytest.fixture
def image_folder(tmp_path):
    """24 small random PNGs in two subfolders."""
    root = tmp_path / "images"
    write_images(str(root / "a"), 12, seed=1)
    write_images(str(root / "b"), 12, seed=2)
    return str(root)


def load_script(name):
    """Import ``scripts/<name>.py`` as a module, so tests can call its ``main(argv)`` in-process."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("script_" + name, os.path.join(ROOT, "scripts", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def http_server():
    """A 127.0.0.1 server: path -> bytes in ``server.files`` (anything else is a 404); ``server.requests`` lists the
    paths asked for."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = self.server.files.get(self.path)
            self.server.requests.append(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.files, server.requests = {}, []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
