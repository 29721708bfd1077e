"""The command line under bad input, divergence and signals: one line, the right exit code,
no traceback or raw numpy warning, and nothing written (no file, no temporary, no folder)."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time

import pytest
from chainrule_helpers import files_under, run_cli, start_cli

DIVERGING = ("--optimizer", "sgd", "--lr", "1e30")

# (arguments, exit code, a fragment the one-line error must contain)
BAD_INPUTS = [
    # Unicode digits pass str.isdigit() but not int(): no traceback.
    (["train", "moons", "--hidden", "²", "--out", "run"], 2, "'²' is not a layer size"),
    (["train", "moons", "--batch-size", "²", "--out", "run"], 2, "--batch-size '²'"),
    (["train", "moons", "--hidden", "١٦", "--out", "run"], 2, "is not a layer size"),
    (["train", "moons", "--batch-size", "١٦", "--out", "run"], 2, "--batch-size"),
    (["train", "moons", "--epochs", "²", "--out", "run"], 2, "invalid int value: '²'"),
    (["train", "moons", "--hidden", "", "--out", "run"], 2, "give layer sizes"),
    (["train", "moons", "--hidden", "0", "--out", "run"], 2, "integer 1…4096"),
    (["train", "moons", "--hidden", "5000", "--out", "run"], 2, "integer 1…4096"),
    # More than 10 million parameters: refused before anything is built.
    (["train", "moons", "--hidden", "4096,4096", "--out", "run"], 2,
     "2-4096-4096-2 would have 16,801,794 parameters; chainrule train allows up to 10,000,000"),
    (["train", "moons", "--engine", "value", "--hidden", "4096,4096", "--out", "run"], 2,
     "2-4096-4096-1 would have"),
    (["train", "digits", "--hidden", "4096,4096", "--out", "run"], 2, "64-4096-4096-10"),
    (["train", "moons", "--lr", "inf", "--out", "run"], 2, "--lr inf"),
    (["train", "moons", "--lr", "nan", "--out", "run"], 2, "--lr nan"),
    (["train", "moons", "--noise", "nan", "--out", "run"], 2, "--noise"),
    (["train", "moons", "--noise", "-1", "--out", "run"], 2, "--noise"),
    (["train", "moons", "--test-size", "nan", "--out", "run"], 2, "--test-size"),
    (["train", "moons", "--seed", str(2**32), "--out", "run"], 2, "--seed"),
    # Names: the same rules for EXPR and --set (Python's identifiers, NFKC-normalized).
    (["graph", "x*2", "--set", "if=1", "--out", "g.dot"], 2, "'if' is a Python keyword"),
    (["steps", "x*2", "--set", "None=1", "--set", "x=1"], 2, "'None' is a Python keyword"),
    (["graph", "x*2", "--set", "x y=1", "--out", "g.dot"], 2, "'x y' is not a valid name"),
    (["graph", "x*2", "--set", "x=1", "--set", "ｘ=2", "--out", "g.dot"], 2, "given twice"),
    (["graph", "x*2", "--set", "x=١", "--out", "g.dot"], 2, "'١' is not a number"),
    (["graph", "α*2", "--out", "g.dot"], 2, "uses 'α' but no value was given; add --set α=..."),
    (["steps", "ｔａｎｈ(x)", "--set", "ｔａｎｈ=1"], 2, "'tanh' is a function name"),
    (["optimizers", "--surface", "saddle", "--steps", "²", "--out", "o.png"], 2,
     "invalid int value"),
    (["optimizers", "--surface", "saddle", "--steps", "0", "--out", "o.png"], 2, "--steps 0"),
    (["optimizers", "--surface", "saddle", "--lr", "nan", "--out", "o.png"], 2, "--lr nan"),
    (["optimizers", "--surface", "saddle", "--start", "nan,1", "--out", "o.png"], 2, "finite"),
    # A run whose loss becomes nan: exit 1, one line naming the epoch, no model.
    (["train", "moons", *DIVERGING, "--epochs", "30", "--out", "run"], 1,
     "training diverged in epoch 1 of 30: the loss became nan or inf; lower --lr (it was 1e+30)"),
    (["train", "moons", "--engine", "value", *DIVERGING, "--epochs", "3", "--out", "run"], 1,
     "diverged in epoch 1 of 3"),
    (["train", "blobs", "--optimizer", "adam", "--lr", "1e300", "--epochs", "20",
      "--out", "deep/run"], 1, "diverged in epoch 1 of 20"),
]


@pytest.mark.parametrize(("args", "code", "fragment"), BAD_INPUTS, ids=lambda v: str(v)[:48])
def test_bad_input_or_divergence_is_one_line_and_writes_nothing(tmp_path, args, code, fragment):
    before = files_under(tmp_path)
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback, no numpy warning with a source path
    assert lines[0].startswith("chainrule: error: ")
    assert fragment in lines[0]
    assert files_under(tmp_path) == before  # no file, no temporary file, no folder


def test_parameters_that_became_inf_count_as_divergence():
    import nn
    from chainrule.errors import CLIError
    from chainrule.train import _check_not_diverged

    model = nn.MLP([2, 3, 2], seed=0)
    history = nn.History(loss=[0.5, 0.4])
    _check_not_diverged(history, model, 2, 0.1)  # finite: fine
    model.layers[0].bias.data = model.layers[0].bias.data + float("inf")
    with pytest.raises(CLIError, match="epoch 2 of 2: the parameters became nan or inf") as info:
        _check_not_diverged(history, model, 2, 0.1)
    assert info.value.exit_code == 1


def test_a_diverged_run_leaves_an_earlier_run_untouched(tmp_path):
    assert run_cli("train", "xor", "--epochs", "3", "--out", "run", cwd=tmp_path).returncode == 0
    earlier = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    result = run_cli("train", "xor", *DIVERGING, "--out", "run", cwd=tmp_path)
    assert result.returncode == 1 and "diverged" in result.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == earlier


@pytest.mark.parametrize(
    ("args", "output"),
    [(["graph", "α*가 + ｘ", "--set", "α=2", "--set", "가=3", "--set", "x=1", "--out", "g.dot"],
      "∂f/∂α = 3, ∂f/∂가 = 2, ∂f/∂x = 1"),
     (["steps", "x*2", "--set", "ｘ=3"], "∂f/∂x = 2")],
    ids=["korean-and-greek", "fullwidth-is-x"],
)
def test_non_ascii_names_are_accepted_alike_in_expr_and_set(tmp_path, args, output):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert output in result.stdout


def _start_training(tmp_path, out: str):
    proc = start_cli("train", "moons", "--epochs", "100000", "--progress", "off", "--out", out,
                     cwd=tmp_path)
    header = proc.stdout.readline()
    assert header.startswith("chainrule train moons"), proc.stderr.read()
    time.sleep(0.5)  # well inside the training loop
    return proc


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_training_leaves_no_output_folder(tmp_path, sig):
    proc = _start_training(tmp_path, "new/run")
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    word = "terminated" if sig == signal.SIGTERM else "interrupted"
    assert proc.returncode == 128 + sig
    assert stderr.strip() == f"chainrule: {word}"
    assert files_under(tmp_path) == set()  # not even the empty 'new/run'


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_sigterm_leaves_an_existing_output_folder_as_it_was(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    proc = _start_training(tmp_path, "run")
    proc.terminate()
    try:
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143
    assert files_under(tmp_path) == {"run", "run/notes.txt"}


def test_a_closed_stdout_ends_quietly(tmp_path):
    expr = "+".join(f"tanh(x*{i})" for i in range(150))  # about 200 kB of output
    proc = start_cli("steps", expr, "--set", "x=1", cwd=tmp_path)
    assert proc.stdout.readline().startswith("f = ")
    proc.stdout.close()  # the reader goes away, as `| head -1` does
    stderr = proc.stderr.read()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert proc.returncode == 128 + signal.SIGPIPE


@pytest.mark.skipif(os.name != "posix", reason="umask")
def test_output_files_get_the_usual_mode_and_stale_temporaries_are_removed(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    dead_pid = 2**22 + 12345  # above Linux's pid_max: no such process
    stale = run / f".model.npz.{dead_pid}.deadbeef.tmp"  # left by a killed run
    stale.write_bytes(b"partial")
    old = os.umask(0o027)
    try:
        result = run_cli("train", "xor", "--epochs", "2", "--out", "run", cwd=tmp_path)
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in run.iterdir())
    assert names == ["decision_boundary.png", "loss.png", "metrics.json", "model.npz"]
    for name in names:
        assert stat.S_IMODE((run / name).stat().st_mode) == 0o640, name
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2


def test_stdout_has_no_warnings_from_a_healthy_run(tmp_path):
    result = run_cli("train", "blobs", "--epochs", "5", "--out", "run", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    assert sys.executable  # the helpers run this interpreter's console script
