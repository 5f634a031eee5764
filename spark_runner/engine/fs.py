"""Hadoop FileSystem operations through the session's JVM (local files, HDFS, S3A alike)."""

from __future__ import annotations


class FS:
    def __init__(self, spark):
        self.spark = spark
        self.jvm = spark.sparkContext._jvm
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _p(self, path: str):
        p = self.jvm.org.apache.hadoop.fs.Path(path)
        return p.getFileSystem(self.conf), p

    def exists(self, path: str) -> bool:
        fs, p = self._p(path)
        return bool(fs.exists(p))

    def glob(self, pattern: str) -> list[str]:
        fs, p = self._p(pattern)
        found = fs.globStatus(p)
        return [str(s.getPath().toString()) for s in found] if found is not None else []

    def glob_status(self, pattern: str) -> list[tuple[str, float, bool]]:
        """``(path, modified epoch seconds, is a directory)`` of each match; lists only what the
        pattern names (the file system filters the parent's entries)."""
        fs, p = self._p(pattern)
        found = fs.globStatus(p)
        if found is None:
            return []
        return [
            (str(s.getPath().toString()), s.getModificationTime() / 1000.0, bool(s.isDirectory()))
            for s in found
        ]

    def list_files(self, path: str) -> list[str]:
        """Every file under ``path``, recursively."""
        fs, p = self._p(path)
        if not fs.exists(p):
            return []
        out = []
        files = fs.listFiles(p, True)
        while files.hasNext():
            out.append(str(files.next().getPath().toString()))
        return out

    def newest_modification(self, path: str) -> float:
        """The latest modification time (epoch seconds) of ``path`` or anything under it."""
        fs, p = self._p(path)
        if not fs.exists(p):
            return 0.0
        newest = fs.getFileStatus(p).getModificationTime()
        files = fs.listFiles(p, True)
        while files.hasNext():
            newest = max(newest, files.next().getModificationTime())
        return newest / 1000.0

    def is_dir(self, path: str) -> bool:
        fs, p = self._p(path)
        return bool(fs.exists(p) and fs.getFileStatus(p).isDirectory())

    def list(self, path: str) -> list[str]:
        fs, p = self._p(path)
        if not fs.exists(p):
            return []
        return [str(s.getPath().toString()) for s in fs.listStatus(p)]

    def mkdirs(self, path: str) -> None:
        fs, p = self._p(path)
        if not fs.mkdirs(p):
            raise OSError(f"cannot create directory {path}")

    def rename(self, src: str, dst: str) -> None:
        fs, s = self._p(src)
        _, d = self._p(dst)
        if not fs.rename(s, d):
            raise OSError(f"cannot move {src} to {dst}")

    def delete(self, path: str) -> None:
        fs, p = self._p(path)
        if fs.exists(p):
            fs.delete(p, True)

    def qualify(self, path: str) -> str:
        fs, p = self._p(path)
        return str(fs.makeQualified(p).toString())


def glob_escape(text: str) -> str:
    """``text`` taken literally inside a Hadoop glob pattern."""
    return "".join("\\" + c if c in "\\{}[]*?^" else c for c in text)


def parent(path: str) -> str:
    path = path.rstrip("/")
    return path.rsplit("/", 1)[0] if "/" in path else "."


def name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]
