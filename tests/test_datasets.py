"""Data management: manifest, verify, and fetch from a local HTTP server (127.0.0.1)."""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hpobench.cli import main
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.data import _files, datasets
from hpobench.data.dataset_types import ArchiveKind, DataFile, Dataset, Source
from hpobench.data.datasets import FileState


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving the folder it returns."""
    root = tmp_path / "served"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _serve_copy(data_dir: Path, served: Path, relative: str) -> Path:
    target = served / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data_dir / relative, target)
    return target


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_manifest_is_consistent() -> None:
    names = [d.name for d in datasets.known_datasets()]
    assert len(set(names)) == len(names)
    assert {"fcnet", "hpobench_nn", "nb201", "taskset", "fcnet_hdf5", "lcbench"} <= set(names)
    for dataset in datasets.known_datasets():
        for f in dataset.files:
            assert f.sha256 is None or len(f.sha256) == 64
    with pytest.raises(UnknownNameError, match="nope"):
        datasets.find_dataset("nope")


@pytest.mark.data
def test_shared_data_verifies(data_dir: Path) -> None:
    for name in ("fcnet", "hpobench_nn", "nb201", "taskset"):
        states = datasets.status(datasets.find_dataset(name), data_dir)
        assert {s for _, s in states} == {FileState.OK}, name


@pytest.mark.data
def test_fetch_from_local_server(data_dir: Path, tmp_path: Path, server: tuple[str, Path]) -> None:
    url, served = server
    dataset = datasets.find_dataset("nb201")
    for f in dataset.files:
        _serve_copy(data_dir, served, f.path)
    target = tmp_path / "data"
    written = datasets.fetch(dataset, target, url_base=url)
    assert sorted(p.relative_to(target).as_posix() for p in written) == sorted(f.path for f in dataset.files)
    assert {s for _, s in datasets.status(dataset, target)} == {FileState.OK}
    assert datasets.fetch(dataset, target, url_base=url) == []  # already present and verified
    assert not [p for p in target.rglob("*") if p.name.startswith(".")]  # no temporary leftovers
    mode = 0o666 & ~_files._umask()  # as any new file: readable by the group sharing the folder
    assert {p.stat().st_mode & 0o777 for p in written} == {mode}


@pytest.mark.data
def test_corrupted_download_is_rejected_and_leaves_nothing(
    data_dir: Path, tmp_path: Path, server: tuple[str, Path]
) -> None:
    url, served = server
    dataset = datasets.find_dataset("taskset")
    first = dataset.files[0]
    corrupt = _serve_copy(data_dir, served, first.path)
    payload = bytearray(corrupt.read_bytes())
    payload[1000] ^= 0xFF
    corrupt.write_bytes(bytes(payload))
    actual = hashlib.sha256(payload).hexdigest()
    target = tmp_path / "data"
    with pytest.raises(DataError, match=rf"expected sha256 {first.sha256}, got {actual}"):
        datasets.fetch(dataset, target, url_base=url)
    assert not (target / first.path).exists()
    assert list((target / "taskset").iterdir()) == []  # the temporary file was deleted


def test_missing_url_and_server_errors(tmp_path: Path, server: tuple[str, Path]) -> None:
    url, _ = server
    dataset = datasets.find_dataset("fcnet")
    with pytest.raises(DataError, match="--url-base"):
        datasets.fetch(dataset, tmp_path / "d")
    with pytest.raises(DataError, match="cannot download"):
        datasets.fetch(dataset, tmp_path / "d", url_base=url)  # 404
    assert _listing(tmp_path / "d") == ["tabular", "tabular/fcnet"]


def _archive_dataset(kind: ArchiveKind, payload: bytes, digest: str | None) -> Dataset:
    suffix = "tar.gz" if kind is ArchiveKind.TAR_GZ else "zip"
    return Dataset(
        name="toy",
        description="toy archive",
        license="none",
        files=(DataFile(path="toy/inner/a.txt", sha256=hashlib.sha256(payload).hexdigest()),),
        sources=(Source(path=f"toy/archive.{suffix}", url=None, sha256=digest, archive=kind),),
    )


@pytest.mark.parametrize("kind", [ArchiveKind.TAR_GZ, ArchiveKind.ZIP])
def test_archives_are_verified_and_unpacked(
    tmp_path: Path, server: tuple[str, Path], kind: ArchiveKind
) -> None:
    url, served = server
    payload = b"hello hpobench\n"
    buffer = io.BytesIO()
    if kind is ArchiveKind.TAR_GZ:
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            info = tarfile.TarInfo("inner/a.txt")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    else:
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr("inner/a.txt", payload)
    archive = buffer.getvalue()
    suffix = "tar.gz" if kind is ArchiveKind.TAR_GZ else "zip"
    (served / "toy").mkdir()
    (served / "toy" / f"archive.{suffix}").write_bytes(archive)
    target = tmp_path / "data"
    with pytest.raises(DataError, match="expected sha256"):
        datasets.fetch(_archive_dataset(kind, payload, "0" * 64), target, url_base=url)
    assert _listing(target) == ["toy"]
    good = _archive_dataset(kind, payload, hashlib.sha256(archive).hexdigest())
    datasets.fetch(good, target, url_base=url)
    assert (target / "toy" / "inner" / "a.txt").read_bytes() == payload
    assert _listing(target) == ["toy", "toy/inner", "toy/inner/a.txt"]  # archive and staging removed


@pytest.mark.data
def test_cli_data_commands(
    data_dir: Path, tmp_path: Path, server: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, served = server
    assert main(["data", "list", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "taskset" in out
    assert "12/12 present" in out
    assert "lcbench" in out
    assert main(["data", "verify", "nb201", "--data-dir", str(data_dir)]) == 0
    assert capsys.readouterr().out.count("OK") == 3
    dataset = datasets.find_dataset("nb201")
    for f in dataset.files:
        _serve_copy(data_dir, served, f.path)
    target = tmp_path / "fetched"
    assert main(["data", "fetch", "nb201", "--data-dir", str(target), "--url-base", url]) == 0
    assert main(["data", "verify", "nb201", "--data-dir", str(target)]) == 0
    with (target / dataset.files[0].path).open("r+b") as fh:
        fh.write(b"XXXX")
    assert main(["data", "verify", "--data-dir", str(target)]) == 1
    assert "MISMATCH" in capsys.readouterr().out
    assert main(["data", "fetch", "nope", "--data-dir", str(target)]) == 2
