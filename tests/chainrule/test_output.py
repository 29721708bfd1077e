"""chainrule.output in-process: --out checks before any work, and all-or-nothing writes."""

from __future__ import annotations

import errno

import pytest

from chainrule import output
from chainrule.errors import CLIError
from chainrule.output import check_out_dir, check_out_file, write_bytes, write_files


def test_write_files_is_all_or_nothing(tmp_path):
    old = tmp_path / "a.txt"
    old.write_text("previous run")

    def failing(path):
        path.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    targets = {old: write_bytes(b"new"), tmp_path / "b.txt": failing}
    with pytest.raises(CLIError, match="No space left"):
        write_files(targets)
    assert old.read_text() == "previous run"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary files


def test_write_files_replaces_and_uses_normal_permissions(tmp_path):
    target = tmp_path / "m.json"
    target.write_text("old")
    write_files({target: write_bytes(b"{}")})
    assert target.read_bytes() == b"{}"
    assert target.stat().st_mode & 0o777 == 0o666 & ~output._umask()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_unwritable_directory_is_detected_before_work(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(output.tempfile, "mkstemp", refuse)
    with pytest.raises(CLIError, match="Permission denied"):
        check_out_file(str(tmp_path / "g.svg"), [".svg"])
    with pytest.raises(CLIError, match="Permission denied"):
        check_out_dir(str(tmp_path / "new" / "run"))
    assert list(tmp_path.iterdir()) == []  # the directories it created were taken back


def test_check_out_dir_reports_what_it_created(tmp_path):
    out, created = check_out_dir(str(tmp_path / "a" / "b"))
    assert out.is_dir()
    assert created == [tmp_path / "a" / "b", tmp_path / "a"]
    output.remove_if_empty(created)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "exists").mkdir()
    assert check_out_dir(str(tmp_path / "exists"))[1] == []
