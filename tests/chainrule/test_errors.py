"""Bad input: exit code 2, one line on stderr naming the problem, no traceback, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from chainrule_helpers import files_under, run_cli

HOSTILE = "__import__('os').system('touch pwned')"

# (arguments, a fragment the one-line error must contain)
BAD_INPUTS = [
    (["train", "mnist", "--out", "run"], "invalid choice: 'mnist'"),
    (["train", "moons", "--optimizer", "nadam", "--out", "run"], "invalid choice: 'nadam'"),
    (["train", "moons", "--engine", "jax", "--out", "run"], "invalid choice: 'jax'"),
    (["train", "moons", "--hidden", "16,x", "--out", "run"], "--hidden"),
    (["train", "moons", "--batch-size", "0", "--out", "run"], "--batch-size"),
    (["train", "moons", "--batch-size", "5000", "--out", "run"], "larger than the 150"),
    (["train", "moons", "--lr", "-1", "--out", "run"], "--lr"),
    (["train", "moons", "--epochs", "0", "--out", "run"], "--epochs"),
    (["train", "moons", "--seed", "-1", "--out", "run"], "--seed"),
    (["train", "moons", "--test-size", "1.5", "--out", "run"], "--test-size"),
    (["train", "moons", "--samples", "3", "--out", "run"], "--samples"),
    (["train", "digits", "--engine", "value", "--out", "run"], "--engine tensor"),
    (["train", "moons", "--engine", "value", "--activation", "tanh", "--out", "run"],
     "needs --engine tensor"),
    (["train", "moons", "--out", "afile.txt"], "is not a directory"),
    (["train", "moons", "--out", "afile.txt/run"], "cannot create"),
    (["graph", "x*w", "--set", "x=2", "--set", "w", "--out", "g.dot"], "malformed --set 'w'"),
    (["graph", "x*w", "--set", "x=2", "--set", "w=abc", "--out", "g.dot"], "'abc' is not a number"),
    (["graph", "x*w", "--set", "x=2", "--set", "2w=1", "--out", "g.dot"], "not a valid name"),
    (["graph", "x*w", "--set", "x=2", "--set", "x=3", "--out", "g.dot"], "given twice"),
    (["graph", "x*w", "--set", "x=nan", "--out", "g.dot"], "finite"),
    (["graph", "x*w", "--set", "x=2", "--out", "g.dot"], "uses 'w' but no value"),
    (["graph", "foo(x)", "--set", "x=2", "--out", "g.dot"], "unknown function 'foo'"),
    (["graph", HOSTILE, "--out", "g.dot"], "attribute access"),
    (["graph", "__import__('os')", "--out", "g.dot"], "unknown function '__import__'"),
    (["graph", "x.__class__", "--set", "x=1", "--out", "g.dot"], "attribute access"),
    (["graph", "exec('1')", "--out", "g.dot"], "unknown function 'exec'"),
    (["graph", "tanh(x, x)", "--set", "x=1", "--out", "g.dot"], "exactly one positional"),
    (["graph", "tanh(x=1)", "--out", "g.dot"], "exactly one positional"),
    (["graph", "x[0]", "--set", "x=1", "--out", "g.dot"], "subscripts"),
    (["graph", "lambda: x", "--set", "x=1", "--out", "g.dot"], "lambda"),
    (["graph", "x if x else 1", "--set", "x=1", "--out", "g.dot"], "if ... else"),
    (["graph", "x // 2", "--set", "x=1", "--out", "g.dot"], "'//'"),
    (["graph", "x < 2", "--set", "x=1", "--out", "g.dot"], "comparisons"),
    (["graph", "'x' * 3", "--out", "g.dot"], "str literals"),
    (["graph", "True * x", "--set", "x=1", "--out", "g.dot"], "booleans"),
    (["graph", "[x for x in (1,)]", "--out", "g.dot"], "comprehensions"),
    (["graph", "x +", "--set", "x=1", "--out", "g.dot"], "not a valid expression"),
    (["graph", "1if x else 2", "--set", "x=1", "--out", "g.dot"], "if ... else"),  # no warning
    (["graph", "2 + 3", "--out", "g.dot"], "no variables"),
    (["graph", "tanh + x", "--set", "x=1", "--out", "g.dot"], "is a function"),
    (["graph", "x" + "+x" * 1000, "--set", "x=1", "--out", "g.dot"], "the limit is 2,000"),
    (["graph", "tanh(" * 250 + "x" + ")" * 250, "--set", "x=1", "--out", "g.dot"], "nested"),
    (["graph", "x" + "+x" * 300, "--set", "x=1", "--out", "g.dot"], "nested more than 200"),
    (["graph", "1" * 400 + "*x", "--set", "x=1", "--out", "g.dot"], "too large"),
    (["graph", "x*2", "--set", "x=1", "--out", "g.txt"], "'.txt'"),
    (["graph", "x*2", "--set", "x=1", "--out", "missing/g.dot"], "does not exist"),
    (["graph", "x*2", "--set", "x=1", "--out", "afile.txt/g.dot"], "is not a directory"),
    (["graph", "x*2", "--set", "x=1", "--out", "adir"], "has no suffix"),
    (["steps", HOSTILE], "attribute access"),
    (["steps", "y*2", "--set", "x=1"], "uses 'y' but no value"),
    (["optimizers", "--surface", "himmelblau", "--out", "o.png"], "invalid choice"),
    (["optimizers", "--surface", "beale", "--out", "o.gif"], "'.gif'"),
    (["optimizers", "--surface", "beale", "--optimizers", "adam,lion", "--out", "o.png"],
     "unknown optimizer 'lion'"),
    (["optimizers", "--surface", "beale", "--start", "1;2", "--out", "o.png"], "--start"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD_INPUTS, ids=lambda v: str(v)[:40])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, fragment):
    (tmp_path / "afile.txt").write_text("not a directory")
    (tmp_path / "adir").mkdir()
    before = files_under(tmp_path)
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chainrule: error: ")
    assert fragment in lines[0]
    assert files_under(tmp_path) == before  # no output, no temporary file, no directory
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["train", "moons", "--out", "{locked}/run"],
        ["train", "moons", "--out", "{locked}"],
        ["graph", "x*2", "--set", "x=1", "--out", "{locked}/g.dot"],
        ["optimizers", "--surface", "saddle", "--out", "{locked}/o.png"],
    ],
)
def test_read_only_out_directory_is_exit_2(tmp_path, args):
    # Permissions do not stop root (CI runs as root), but nobody may write into sysfs.
    as_root = not hasattr(os, "geteuid") or os.geteuid() == 0
    if as_root:
        if not os.path.isdir("/sys") or _sysfs_writable():
            pytest.skip("no read-only directory available to root here")
        locked = Path("/sys")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
    before = sorted(os.listdir(locked))
    try:
        result = run_cli(*[a.format(locked=locked) for a in args], cwd=tmp_path)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
        assert sorted(os.listdir(locked)) == before
    finally:
        if not as_root:
            locked.chmod(0o755)


def _sysfs_writable() -> bool:
    try:
        os.mkdir("/sys/chainrule-probe")
    except OSError:
        return False
    os.rmdir("/sys/chainrule-probe")
    return True


def test_failure_after_creating_out_dir_removes_it(tmp_path):
    # --batch-size is checked against the training set, after --out was created: rolled back.
    result = run_cli("train", "moons", "--batch-size", "999", "--out", "new/run", cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "new").exists()
