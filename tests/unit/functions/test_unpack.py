"""A deployment package is unpacked inside its directory or not at all."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from tests.unit.functions.packages import invocation, symlink_entry

from strongroom.functions import invoke
from strongroom.functions.unpack import PackageError, unpack


def archive(build: object) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        build(zipped)  # type: ignore[operator]
    return buffer.getvalue()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    directory = tmp_path / "package"
    directory.mkdir()
    return directory


def test_files_directories_modes_and_inner_symlinks_are_unpacked(root: Path) -> None:
    def build(zipped: zipfile.ZipFile) -> None:
        zipped.writestr("lib/", "")
        zipped.writestr("lib/helper.py", "X = 1\n")
        script = zipfile.ZipInfo("bin/run.sh")
        script.create_system = 3
        script.external_attr = (stat.S_IFREG | stat.S_ISUID | 0o755) << 16
        zipped.writestr(script, "#!/bin/sh\n")
        symlink_entry(zipped, "lib/current.py", "helper.py")
        symlink_entry(zipped, "shared", "lib")

    unpack(archive(build), root)
    assert (root / "lib" / "helper.py").read_text() == "X = 1\n"
    assert stat.S_IMODE((root / "bin" / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "lib" / "helper.py").stat().st_mode) == 0o644
    assert os.readlink(root / "lib" / "current.py") == "helper.py"
    assert (root / "shared" / "current.py").read_text() == "X = 1\n"


@pytest.mark.parametrize(
    "name", ["../escape.py", "lib/../../escape.py", "/tmp/escape.py", "C:/escape.py"]
)
def test_a_name_leaving_the_directory_is_refused(root: Path, name: str) -> None:
    code = archive(lambda zipped: zipped.writestr(name, "escaped = True\n"))
    with pytest.raises(PackageError):
        unpack(code, root)
    assert not (root.parent / "escape.py").exists()


@pytest.mark.parametrize("target", ["/etc", "../outside", "lib/../../outside", "a/../.."])
def test_a_symlink_pointing_outside_is_refused(root: Path, target: str) -> None:
    code = archive(lambda zipped: symlink_entry(zipped, "link", target))
    with pytest.raises(PackageError):
        unpack(code, root)


def test_symlinks_that_escape_only_together_are_refused(root: Path) -> None:
    """Each target looks inside on its own; followed through each other they leave."""

    def build(zipped: zipfile.ZipFile) -> None:
        zipped.writestr("a/b/c/keep.txt", "")
        zipped.writestr("t/keep.txt", "")
        symlink_entry(zipped, "a/b/l1", "../../t")
        symlink_entry(zipped, "a/b/c/l2", "../l1/../..")

    with pytest.raises(PackageError, match="points outside"):
        unpack(archive(build), root)


def test_nothing_is_written_through_a_symlink(root: Path, tmp_path: Path) -> None:
    def build(zipped: zipfile.ZipFile) -> None:
        symlink_entry(zipped, "inner", ".")
        symlink_entry(zipped, "inner/planted", "x")

    with pytest.raises(PackageError, match="below a symlink"):
        unpack(archive(build), root)


def test_a_duplicate_entry_is_refused(root: Path) -> None:
    def build(zipped: zipfile.ZipFile) -> None:
        with pytest.warns(UserWarning, match="Duplicate name"):
            zipped.writestr("lambda_function.py", "first\n")
            zipped.writestr("lambda_function.py", "second\n")

    with pytest.raises(PackageError, match="appears twice"):
        unpack(archive(build), root)


def test_a_package_over_250_mib_unzipped_is_refused(root: Path) -> None:
    code = archive(
        lambda zipped: zipped.writestr(
            "padding.bin", bytes(262_144_001), compress_type=zipfile.ZIP_DEFLATED
        )
    )
    assert len(code) < 1_000_000
    with pytest.raises(PackageError, match="262144000 bytes"):
        unpack(code, root)
    assert list(root.iterdir()) == []


def test_bytes_that_are_not_a_zip_are_refused(root: Path) -> None:
    with pytest.raises(PackageError, match="not a valid zip"):
        unpack(b"PK\x03\x04 truncated", root)


def test_invoke_reports_a_refused_package_without_running_anything(tmp_path: Path) -> None:
    code = archive(lambda zipped: zipped.writestr("../../escape.py", "x = 1\n"))
    result = invoke(invocation("", code=code))
    assert result.function_error == "Unhandled"
    document = json.loads(result.payload)
    assert document["errorType"] == "InvalidZipFileException"
    assert "leaves the package" in document["errorMessage"]
    assert result.log_tail.splitlines()[-1].endswith(
        "\tStatus: error\tError Type: InvalidZipFileException"
    )
