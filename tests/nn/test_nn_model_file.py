"""Model files: any parameter name, header checks before any data, atomic saves, nn.load."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor, Value
from nn import ModelFileError, Module

REPO = Path(__file__).resolve().parents[2]


class Keywords(Module):
    """Parameters named after np.savez's own arguments."""

    def __init__(self) -> None:
        self.file = Value(1.5)
        self.allow_pickle = Value(-2.0)
        self.args = Value(3.0)
        self.kwds = Tensor(np.arange(3.0), requires_grad=True)


class OneWeight(Module):
    def __init__(self, n: int = 3) -> None:
        self.weight = Tensor(np.zeros(n), requires_grad=True)


def test_parameters_named_like_savez_arguments_round_trip(tmp_path):
    saved = Keywords()
    saved.save(tmp_path / "k.npz")  # np.savez: 'file' crashed it, 'allow_pickle' was dropped
    loaded = Keywords()
    for p in loaded.parameters():
        p.data = p.data * 0 if isinstance(p.data, np.ndarray) else 0.0
    loaded.load(tmp_path / "k.npz")
    assert loaded.file.data == 1.5 and loaded.allow_pickle.data == -2.0 and loaded.args.data == 3.0
    np.testing.assert_array_equal(loaded.kwds.data, [0.0, 1.0, 2.0])
    with np.load(tmp_path / "k.npz", allow_pickle=False) as archive:
        assert {"file", "allow_pickle", "args", "kwds"} <= set(archive.files)


def test_the_same_model_gives_the_same_bytes(tmp_path):
    model = nn.MLP([3, 4, 2], seed=0)
    model.save(tmp_path / "a.npz")
    model.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_saved_file_gets_the_usual_mode_under_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        nn.MLP([2, 2], seed=0).save(tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == mode


def _kill_a_save_midway(path: Path) -> int:
    """Start a save in another process, SIGKILL it while it writes; return its pid."""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        import numpy as np
        import nn
        write_array = np.lib.format.write_array
        def slow(*args, **kwargs):
            write_array(*args, **kwargs)
            print("writing", flush=True)
            time.sleep(60)
        np.lib.format.write_array = slow
        nn.MLP([2, 8, 2], seed=0).save({str(path)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.stdout.close()
    return proc.pid


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL and process ids")
def test_a_save_killed_midway_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    path = tmp_path / "model.npz"
    pid = _kill_a_save_midway(path)
    left = sorted(os.listdir(tmp_path))
    assert len(left) == 1 and left[0].startswith(f".model.npz.{pid}.") and left[0].endswith(".tmp")
    # A temporary of a process that still runs (this one) is a save in progress: kept.
    in_progress = tmp_path / f".model.npz.{os.getpid()}.0badc0de.tmp"
    in_progress.write_bytes(b"")
    nn.MLP([2, 8, 2], seed=0).save(path)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.npz", in_progress.name])
    assert nn.load(path).sizes == [2, 8, 2]


def test_load_refuses_a_npy_file_with_a_clear_error(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros(3))
    model = OneWeight()
    with pytest.raises(ModelFileError, match=r"single \.npy array, not a model archive"):
        model.load(tmp_path / "w.npy")
    with pytest.raises(ModelFileError, match=r"single \.npy array"):
        nn.load(tmp_path / "w.npy")


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", "is empty"), (b"layers.0.weight,0.5\n", r"not an \.npz \(zip\) archive"),
     (b"PK\x03\x04garbage", "damaged zip archive")],
    ids=["empty", "csv", "broken-zip"],
)
def test_load_refuses_a_file_that_is_not_an_archive(tmp_path, content, match):
    (tmp_path / "m.npz").write_bytes(content)
    model = OneWeight()
    with pytest.raises(ModelFileError, match=match):
        model.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(model.weight.data, np.zeros(3))


class _RepeatingDeflate:
    """Deflate for a stream of identical chunks: compress a chunk once, then repeat its output.

    Each chunk is compressed and fully flushed (Z_FULL_FLUSH resets the window), so its
    compressed bytes stand alone and can be repeated: a 2 GiB array deflates in a second.
    """

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        self._memo: dict[bytes, bytes] = {}

    def compress(self, data: bytes) -> bytes:
        if data not in self._memo:
            self._memo[data] = self._deflate.compress(data) + self._deflate.flush(zlib.Z_FULL_FLUSH)
        return self._memo[data]

    def flush(self) -> bytes:
        return self._deflate.flush()


def _write_huge_archive(path: Path, n: int, architecture: dict | None = None) -> None:
    """A deflated archive holding one float64 array of n zeros under 'weight'."""
    chunk = bytes(1 << 20)
    assert (n * 8) % len(chunk) == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(zipfile, "_get_compressor", lambda *args, **kwargs: _RepeatingDeflate())
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            with zf.open("weight.npy", "w", force_zip64=True) as member:
                header = {"descr": "<f8", "fortran_order": False, "shape": (n,)}
                np.lib.format.write_array_header_1_0(member, header)
                for _ in range(n * 8 // len(chunk)):
                    member.write(chunk)
            if architecture is not None:
                record = {"format": "chainrule.model", "version": 1, "saved_from": "MLP",
                          "architecture": architecture}
                zf.writestr("chainrule_model.json", json.dumps(record))


@pytest.fixture(scope="module")
def huge_archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "huge.npz"
    _write_huge_archive(path, 2**28)  # 2 GiB of float64 zeros
    return path


def _peak_rss_growth_mb(code: str) -> tuple[float, str]:
    """Run ``code`` after importing nn in a fresh interpreter; return (peak RSS growth, output)."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        sys.path.insert(0, {str(REPO)!r})
        import numpy as np
        import nn
        from autograd import Tensor
        class OneWeight(nn.Module):
            def __init__(self):
                self.weight = Tensor(np.zeros(3), requires_grad=True)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            {code}
        except Exception as exc:
            print(type(exc).__name__, exc)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) / 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip().splitlines()
    return float(out[-1]), "\n".join(out[:-1])


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_a_small_file_declaring_a_2_gib_array_is_refused_before_decompressing(huge_archive):
    assert huge_archive.stat().st_size < 3 * 2**20  # about 2 MB on disk
    growth, output = _peak_rss_growth_mb(f"OneWeight().load({str(huge_archive)!r})")
    assert output.startswith("ModelFileError") and "shape (268435456,)" in output, output
    assert "expects (3,)" in output
    assert growth < 100, f"peak RSS grew by {growth:.0f} MB"


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_nn_load_refuses_a_small_file_declaring_a_huge_model(tmp_path):
    path = tmp_path / "huge_mlp.npz"
    arch = {"model": "nn.MLP", "engine": "tensor", "layer_sizes": [2, 2**14, 2**14, 2],
            "activation": "relu", "output_activation": None, "bias": True, "dtype": "float64"}
    _write_huge_archive(path, 2**20, arch)
    growth, output = _peak_rss_growth_mb(f"nn.load({str(path)!r})")
    assert output.startswith("ModelFileError") and "268,533,762 parameters" in output, output
    assert "max_parameters=10,000,000" in output
    assert growth < 100, f"peak RSS grew by {growth:.0f} MB"


def test_model_file_records_the_architecture_and_nn_load_rebuilds_it(tmp_path):
    saved = nn.MLP([3, 7, 5, 2], activation="tanh", output_activation=nn.LeakyReLU(0.2),
                   dtype=np.float32, seed=4)
    saved.save(tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as zf:
        record = json.loads(zf.read("chainrule_model.json"))
    assert record["format"] == "chainrule.model" and record["version"] == 1
    assert record["architecture"] == {
        "model": "nn.MLP", "engine": "tensor", "layer_sizes": [3, 7, 5, 2],
        "activation": "tanh", "output_activation": {"name": "leaky_relu", "negative_slope": 0.2},
        "bias": True, "dtype": "float32",
    }
    loaded = nn.load(tmp_path / "m.npz")
    assert type(loaded) is nn.MLP and loaded.sizes == [3, 7, 5, 2]
    X = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    np.testing.assert_array_equal(nn.predict(loaded, X), nn.predict(saved, X))
    assert nn.predict(loaded, X).dtype == np.float32


def test_nn_load_rebuilds_a_scalar_mlp_and_leaves_random_alone(tmp_path):
    random.seed(1)
    saved = nn.scalar.MLP(2, [4, 3, 1])
    saved.save(tmp_path / "s.npz")
    random.seed(2)
    expected_next = random.random()
    random.seed(2)
    loaded = nn.load(tmp_path / "s.npz")
    assert random.random() == expected_next
    assert type(loaded) is nn.scalar.MLP
    assert [p.data for p in loaded.parameters()] == [p.data for p in saved.parameters()]
    assert loaded([0.5, -1.0]).data == saved([0.5, -1.0]).data


def test_module_load_refuses_a_file_of_another_architecture(tmp_path):
    nn.MLP([2, 4, 2], activation="tanh", seed=0).save(tmp_path / "tanh.npz")
    relu = nn.MLP([2, 4, 2], seed=1)
    before = [p.data.copy() for p in relu.parameters()]
    with pytest.raises(ModelFileError, match=r"activation 'tanh' \(this model: 'relu'\).*nn\.load"):
        relu.load(tmp_path / "tanh.npz")
    for p, old in zip(relu.parameters(), before):
        np.testing.assert_array_equal(p.data, old)


def test_files_written_by_np_savez_still_load_into_a_model(tmp_path):
    saved = nn.MLP([2, 3, 2], seed=0)
    np.savez(tmp_path / "old.npz", **saved.state_dict())  # the format before the record
    loaded = nn.MLP([2, 3, 2], seed=1).load(tmp_path / "old.npz")
    for a, b in zip(loaded.parameters(), saved.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(ModelFileError, match=r"records no architecture.*model\.save\(path\)"):
        nn.load(tmp_path / "old.npz")


def test_nn_load_of_a_custom_module_says_to_build_it(tmp_path):
    Keywords().save(tmp_path / "k.npz")
    with pytest.raises(ModelFileError, match=r"weights of a Keywords module.*model\.load"):
        nn.load(tmp_path / "k.npz")
