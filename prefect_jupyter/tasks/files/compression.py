"""``Zip`` and ``Unzip``: create and extract zip archives."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["Unzip", "Zip"]

PathLike = str | Path

_COMPRESSION = {
    "store": zipfile.ZIP_STORED,
    "deflate": zipfile.ZIP_DEFLATED,
    "bzip2": zipfile.ZIP_BZIP2,
    "lzma": zipfile.ZIP_LZMA,
}


class Unzip(Task):
    """Extract a zip archive.

    Args:
        zip_path: the archive.
        extract_dir: where to extract it (the working directory by default).
        **kwargs: passed on to `Task`.
    """

    def __init__(self, zip_path: PathLike = "", extract_dir: PathLike = "", **kwargs: Any) -> None:
        self.zip_path = zip_path
        self.extract_dir = extract_dir
        super().__init__(**kwargs)

    @defaults_from_attrs("zip_path", "extract_dir")
    def run(
        self, zip_path: PathLike = "", extract_dir: PathLike = "", password: bytes | str | None = None
    ) -> Path:
        """Extract the archive and return the directory it was extracted to.

        Args:
            password: the archive's password, if it has one.

        Raises:
            ValueError: no archive was given or it does not exist.
            TypeError: the file is not a zip archive.
        """
        if not zip_path:
            raise ValueError("No `zip_path` provided")
        archive = Path(zip_path)
        target = Path(extract_dir or Path.cwd())
        if not archive.exists():
            raise ValueError(f"`zip_path` '{archive}' not found")
        if not zipfile.is_zipfile(archive):
            raise TypeError(f"`zip_path` '{archive}' is not a zip file")
        self.logger.info(f"Extracting '{archive}' to '{target}'")
        pwd = password.encode("utf-8") if isinstance(password, str) else password
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target, pwd=pwd)
        return target


class Zip(Task):
    """Create a zip archive of files and directories.

    Args:
        source_path: a path or a list of paths; directories are added with their contents,
            under their own name.
        zip_path: the archive to write.
        compression_method: ``"store"``, ``"deflate"`` (default), ``"bzip2"`` or ``"lzma"``.
        compression_level: passed to `zipfile.ZipFile` (``None`` for its default).
        **kwargs: passed on to `Task`.

    Raises:
        ValueError: an unknown ``compression_method``.
    """

    def __init__(
        self,
        source_path: PathLike | list[PathLike] = "",
        zip_path: PathLike = "",
        compression_method: str = "deflate",
        compression_level: int | None = None,
        **kwargs: Any,
    ) -> None:
        if compression_method not in _COMPRESSION:
            raise ValueError(
                f"Compression method {compression_method} is not supported! Use one of "
                f"{', '.join(_COMPRESSION)}."
            )
        self.source_path = source_path
        self.zip_path = zip_path
        self.compression = _COMPRESSION[compression_method]
        self.compression_level = compression_level
        super().__init__(**kwargs)

    @defaults_from_attrs("source_path", "zip_path")
    def run(self, source_path: PathLike | list[PathLike] = "", zip_path: PathLike = "") -> None:
        """Write the archive.

        Raises:
            ValueError: no source or no archive path was given.
        """
        if not source_path:
            raise ValueError("No `source_path` provided.")
        if not zip_path:
            raise ValueError("No `zip_path` provided.")
        sources = [Path(p) for p in (source_path if isinstance(source_path, list) else [source_path])]
        archive = Path(zip_path)
        with zipfile.ZipFile(
            archive, "w", compression=self.compression, compresslevel=self.compression_level
        ) as zf:
            self.logger.info(f"Creating zip archive {archive}")
            for source in sources:
                self.logger.info(f"Adding {source.name} to archive")
                if source.is_file():
                    zf.write(source, arcname=source.name)
                    continue
                for root, _dirs, files in os.walk(source):
                    for name in files:
                        path = Path(root) / name
                        zf.write(path, arcname=path.relative_to(source.parent))
