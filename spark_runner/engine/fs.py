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


def parent(path: str) -> str:
    path = path.rstrip("/")
    return path.rsplit("/", 1)[0] if "/" in path else "."


def name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]
