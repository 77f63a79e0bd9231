"""Data integrity on use: every data file, own table and fitted model is checked against its pin.

Real files: copies of the shared FCNet/NB201 Parquet tables and YAHPO files, altered and re-encoded
validly (so that only the checksum can tell); copies of the shipped own tables and fitted models.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from hpobench.cli import main
from hpobench.contracts.errors import DataError
from hpobench.data import datadir, datasets, registry
from hpobench.data.datadir import data_verification, verification_enabled, verified
from hpobench.data.dataset_types import DataFile, Dataset, Source
from hpobench.surrogates import fitted, own_tables
from hpobench.surrogates.fcnet import GRID
from hpobench.surrogates.fitted import FittedFamily, read_model, write_model

FCNET = "tabular/fcnet/naval_propulsion.parquet"


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Counter[Path]:
    """Count the files :func:`hpobench.data.datadir.sha256_of` hashes (by resolved path)."""
    counts: Counter[Path] = Counter()
    real = datadir.sha256_of

    def counting(path: Path, *, chunk: int = 1 << 20) -> str:
        counts[path.resolve()] += 1
        return real(path, chunk=chunk)

    monkeypatch.setattr(datadir, "sha256_of", counting)
    return counts


def _copy(data_dir: Path, root: Path, relative: str) -> Path:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data_dir / relative, target)
    target.chmod(0o644)
    return target


def _reencode_with_altered_metric(path: Path, metric: str) -> None:
    """Rewrite a Parquet table validly with its metric scaled by 1.5 in every row."""
    table = pq.read_table(path)
    column = table.schema.get_field_index(metric)
    table = table.set_column(column, metric, pc.multiply(table[metric], pa.scalar(1.5)))
    pq.write_table(table, path)


@pytest.mark.data
def test_tampered_fcnet_parquet_is_refused_and_loads_with_verification_off(
    data_dir: Path, tmp_path: Path, hashes: Counter[Path]
) -> None:
    root = tmp_path / "data"
    target = _copy(data_dir, root, FCNET)
    pinned = datasets.pinned_sha256(FCNET)
    assert pinned is not None
    genuine = registry.load_benchmark("fcnet/naval_propulsion", data_dir=root)  # a true copy loads
    registry.load_benchmark("fcnet/naval_propulsion", data_dir=root)
    assert genuine.data_files() == {str(target.resolve()): pinned}
    assert hashes[target.resolve()] == 1  # verified and recorded with one hash per process

    _reencode_with_altered_metric(target, "valid_mse")
    assert pq.read_table(target).num_rows == 248_832  # still a valid, complete table
    actual = hashlib.sha256(target.read_bytes()).hexdigest()
    message = (
        rf"naval_propulsion\.parquet.*expected {pinned}, got {actual}.*hpobench data verify.*--no-verify"
    )
    with pytest.raises(DataError, match=message):
        registry.load_benchmark("fcnet/naval_propulsion", data_dir=root)
    with pytest.raises(DataError, match=message):  # refused again: no cached benchmark slips through
        registry.load_benchmark("fcnet/naval_propulsion", data_dir=root)
    assert hashes[target.resolve()] == 2  # the changed file was hashed once more, then cached

    edited = registry.load_benchmark("fcnet/naval_propulsion", data_dir=root, verify=False)
    assert edited.data_files() == {str(target.resolve()): actual}  # provenance names what was read
    config = {hp: values[0] for hp, values in GRID.items()}
    np.testing.assert_allclose(edited.reference_values([config]), 1.5 * genuine.reference_values([config]))
    with data_verification(enabled=False):
        assert not verification_enabled()
        assert registry.load_benchmark("fcnet/naval_propulsion", data_dir=root) is edited  # context
        with pytest.raises(DataError, match="pinned sha256"):  # an explicit keyword wins
            registry.load_benchmark("fcnet/naval_propulsion", data_dir=root, verify=True)
    assert verification_enabled()


@pytest.mark.data
@pytest.mark.parametrize(
    ("spec", "relative", "metric"),
    [
        ("nb201/cifar10", "tabular/nb201/cifar10.parquet", "valid_accuracy"),
        ("hpobench_nn/kc1", "tabular/hpobench_nn/kc1.parquet", None),
    ],
)
def test_other_tabular_families_refuse_tampered_tables(
    data_dir: Path, tmp_path: Path, spec: str, relative: str, metric: str | None
) -> None:
    root = tmp_path / "data"
    target = _copy(data_dir, root, relative)
    if metric is None:  # append a byte: any change at all is caught
        with target.open("ab") as fh:
            fh.write(b"\0")
    else:
        _reencode_with_altered_metric(target, metric)
    with pytest.raises(DataError, match=rf"{target.name}.*does not match its pinned sha256"):
        registry.load_benchmark(spec, data_dir=root)


@pytest.mark.data
def test_tampered_taskset_and_yahpo_files_are_refused(data_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    task = registry.load_family("taskset").tasks()[0].name.split("/", 1)[1]
    taskset = _copy(data_dir, root, f"taskset/{task}.json")
    original = taskset.read_bytes()
    taskset.write_text(json.dumps(json.loads(original), indent=1))  # same values, other bytes: refused
    assert taskset.read_bytes() != original
    with pytest.raises(DataError, match=rf"{task}\.json.*pinned sha256"):
        registry.load_benchmark(f"taskset/{task}", data_dir=root)
    for name in ("config_space.json", "encoding.json", "model.onnx"):
        _copy(data_dir, root, f"yahpo/iaml_glmnet/{name}")
    encoding = root / "yahpo/iaml_glmnet/encoding.json"
    encoding.write_text(json.dumps(json.loads(encoding.read_text()), indent=3))
    with pytest.raises(DataError, match=r"encoding\.json.*pinned sha256"):
        registry.load_benchmark("yahpo/iaml_glmnet-1067", data_dir=root)


def test_digest_is_cached_per_unchanged_file(tmp_path: Path, hashes: Counter[Path]) -> None:
    path = tmp_path / "table.bin"
    path.write_bytes(b"a" * 1000)
    pin = hashlib.sha256(b"a" * 1000).hexdigest()
    for _ in range(3):
        assert verified(path, sha256=pin, what="toy") == pin
    assert hashes[path.resolve()] == 1
    stat = path.stat()
    path.write_bytes(b"b" * 1000)  # same size, same inode
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(DataError, match=rf"toy: data file .*table\.bin.*expected {pin}"):
        verified(path, sha256=pin, what="toy")
    assert hashes[path.resolve()] == 2
    replacement = tmp_path / "new.bin"
    replacement.write_bytes(b"a" * 1000)
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # same size and mtime
    os.replace(replacement, path)  # ... but another inode
    assert verified(path, sha256=pin, what="toy") == pin
    assert hashes[path.resolve()] == 3
    with data_verification(enabled=False):
        path.write_bytes(b"c" * 1000)
        assert verified(path, sha256=pin, what="toy") == hashlib.sha256(b"c" * 1000).hexdigest()
    assert verified(path, sha256=None, what="toy") == hashlib.sha256(b"c" * 1000).hexdigest()  # no pin
    assert hashes[path.resolve()] == 4


def _copy_own_tables(root: Path, relative: str) -> Path:
    for name in (relative, datadir.CHECKSUMS_FILE):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(own_tables.PACKAGE_DATA / name, root / name)
    return root / relative


def test_shipped_checksum_lists_match_the_shipped_files() -> None:
    sums = datadir.read_checksums(own_tables.PACKAGE_DATA)
    assert sums is not None
    shipped = sorted(
        p.relative_to(own_tables.PACKAGE_DATA).as_posix() for p in own_tables.PACKAGE_DATA.glob("*/*.npz")
    )
    assert sorted(sums) == shipped
    for relative, digest in sums.items():
        assert datadir.sha256_of(own_tables.PACKAGE_DATA / relative) == digest, relative
    index = json.loads((fitted.MODELS_DIR / fitted.INDEX).read_text())["tasks"]
    assert sorted(e["file"] for e in index.values()) == sorted(
        p.name for p in fitted.MODELS_DIR.glob("*.npz")
    )
    for entry in index.values():
        assert datadir.sha256_of(fitted.MODELS_DIR / entry["file"]) == entry["sha256"], entry["file"]


def test_tampered_own_table_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "package"
    table = _copy_own_tables(package, "lcbench_own/german.npz")
    monkeypatch.setattr(own_tables, "PACKAGE_DATA", package)
    monkeypatch.delenv(own_tables.ENV_VAR, raising=False)
    genuine = registry.load_benchmark("lcbench_own/german")
    with np.load(table, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["table"] = arrays["table"] * 0.5  # a valid lcgen table with other values
    np.savez_compressed(table, **arrays)
    with pytest.raises(DataError, match=r"lcbench_own/german: data file .*german\.npz.*pinned sha256"):
        registry.load_benchmark("lcbench_own/german")
    edited = registry.load_benchmark("lcbench_own/german", verify=False)
    assert edited.optimum().best != genuine.optimum().best

    sums = json.loads((package / datadir.CHECKSUMS_FILE).read_text())
    del sums["files"]["lcbench_own/german.npz"]
    (package / datadir.CHECKSUMS_FILE).write_text(json.dumps(sums))
    with pytest.raises(DataError, match=r"not listed in .*SHA256SUMS\.json"):  # a shipped table needs a pin
        registry.load_benchmark("lcbench_own/german")

    # a user's folder of regenerated tables: checked against its own list when it has one
    user = tmp_path / "user"
    user_table = _copy_own_tables(user, "lcbench_own/german.npz")
    (user / datadir.CHECKSUMS_FILE).unlink()
    monkeypatch.setenv(own_tables.ENV_VAR, str(user))
    registry.load_benchmark("lcbench_own/german")  # no list: hashed for provenance, not checked
    assert own_tables.main(["--write-checksums"]) == 0
    assert datadir.read_checksums(user) == {"lcbench_own/german.npz": datadir.sha256_of(user_table)}
    with user_table.open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(DataError, match="pinned sha256"):
        registry.load_benchmark("lcbench_own/german")


def test_tampered_fitted_model_is_refused(tmp_path: Path) -> None:
    index = json.loads((fitted.MODELS_DIR / fitted.INDEX).read_text())
    task, entry = sorted(index["tasks"].items())[0]
    index["tasks"] = {task: entry}
    (tmp_path / fitted.INDEX).write_text(json.dumps(index))
    model = tmp_path / entry["file"]
    shutil.copyfile(fitted.MODELS_DIR / entry["file"], model)
    family = FittedFamily(tmp_path)
    genuine = family.load(task, data_dir=None)
    header, arrays = read_model(model)
    arrays["layer0.weight"] = arrays["layer0.weight"] + np.float32(0.25)
    write_model(model, header=header, arrays=arrays)  # self-consistent: its own arrays_sha256 matches
    read_model(model)
    with pytest.raises(
        DataError, match=rf"fitted/{task}: data file .*{entry['file']}.*expected {entry['sha256']}"
    ):
        family.load(task, data_dir=None)
    with data_verification(enabled=False):
        edited = family.load(task, data_dir=None)
    assert edited.data_files() == {str(model): datadir.sha256_of(model)}
    assert genuine.data_files() != edited.data_files()


# --- downloads -----------------------------------------------------------------------------------


def test_every_unpinned_source_is_refused_before_downloading(tmp_path: Path) -> None:
    unpinned = [d for d in datasets.known_datasets() if any(s.sha256 is None for s in d.sources)]
    assert {d.name for d in unpinned} == {"fcnet_hdf5", "lcbench"}
    for dataset in unpinned:  # plain-http upstream URL included: refused without touching the network
        with pytest.raises(DataError, match=rf"no sha256 is pinned.*data fetch {dataset.name} --sha256 HEX"):
            datasets.fetch(dataset, tmp_path / "data")
        assert not any(p.is_file() for p in (tmp_path / "data").rglob("*"))


def test_fetch_with_a_stated_sha256(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    served = tmp_path / "served"  # a substitute archive, served through a file:// URL
    url = served.as_uri()
    payload = json.dumps({"toy": {}}).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("data_2k.json", payload)
    archive = buffer.getvalue()
    (served / "lcbench").mkdir(parents=True)
    (served / "lcbench" / "data_2k.zip").write_bytes(archive)
    right = hashlib.sha256(archive).hexdigest()
    target = tmp_path / "data"
    base = ["data", "fetch", "lcbench", "--data-dir", str(target), "--url-base", url]

    assert main(base) == 2
    assert "no sha256 is pinned" in capsys.readouterr().err
    assert not (target / "lcbench" / "data_2k.json").exists()
    wrong = "0" * 64
    assert main([*base, "--sha256", wrong]) == 2
    assert f"expected sha256 {wrong}, got {right}" in capsys.readouterr().err
    assert [p.name for p in (target / "lcbench").iterdir()] == []  # the rejected download was deleted
    assert main([*base, "--sha256", "not-hex"]) == 2
    assert "64 hexadecimal digits" in capsys.readouterr().err
    assert main([*base, "--sha256", right.upper()]) == 0
    assert (target / "lcbench" / "data_2k.json").read_bytes() == payload
    assert sorted(p.name for p in (target / "lcbench").iterdir()) == ["data_2k.json"]
    pinned = Dataset(
        name="toy",
        description="one pinned source",
        license="none",
        files=(DataFile(path="lcbench/data_2k.zip", sha256=None),),
        sources=(Source(path="lcbench/data_2k.zip", url=None, sha256="1" * 64),),
    )
    with pytest.raises(DataError, match="differs from the pinned"):  # a stated digest never overrides a pin
        datasets.fetch(pinned, target, url_base=url, sha256=right)
    with pytest.raises(DataError, match="has 12 sources"):
        datasets.fetch(datasets.find_dataset("yahpo"), target, url_base=url, sha256=right)


@pytest.mark.data
@pytest.mark.slow
def test_a_study_on_a_tampered_table_is_refused_before_any_run_unless_told_not_to_verify(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "data"
    target = _copy(data_dir, root, FCNET)
    _reencode_with_altered_metric(target, "valid_mse")
    command = ["run", "--benchmarks", "fcnet/naval_propulsion", "--methods", "random_search"]
    command += ["--seeds", "0", "--budget", "5", "--quiet", "--data-dir", str(root)]
    assert main([*command, "--out", str(tmp_path / "checked")]) == 2  # checked up front (preflight)
    err = capsys.readouterr().err
    assert err.startswith("hpobench: error: the study cannot start")
    assert "naval_propulsion.parquet" in err
    assert not (tmp_path / "checked").exists()
    assert main([*command, "--out", str(tmp_path / "unchecked"), "--no-verify"]) == 0
    (record,) = (tmp_path / "unchecked" / "runs").glob("*.json")
    provenance = json.loads(record.read_text())
    assert provenance["status"] == "ok"
    assert provenance["data_verified"] is False
    assert provenance["data_files"] == {str(target.resolve()): datadir.sha256_of(target)}
