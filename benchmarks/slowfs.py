#!/usr/bin/python3
"""A passthrough FUSE file system whose writes are slow: each write request the kernel sends it
(a write(2) of up to 128 KiB is one, with big_writes) waits as many milliseconds as DELAY_FILE holds
at that moment, so a caller can slow the disk down and speed it up while a server runs on it.
Everything else goes straight to BACKING_DIR. For benchmarks/slow-disk; needs Debian's
python3-fusepy and fuse3 packages, and root (or user_allow_other in /etc/fuse.conf).

usage: slowfs.py BACKING_DIR MOUNTPOINT DELAY_FILE
"""
import errno
import os
import sys
import time

from fusepy import FUSE, FuseOSError, Operations


class Slow(Operations):
    def __init__(self, root, delay_file):
        self.root = root
        self.delay_file = delay_file

    def _p(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def _delay(self):
        try:
            with open(self.delay_file) as f:
                delay = float(f.read().strip() or 0) / 1000.0
        except (OSError, ValueError):
            delay = 0.0  # written just now, or being rewritten: not slowed this once
        if delay > 0:
            time.sleep(delay)

    def access(self, path, mode):
        if not os.access(self._p(path), mode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        return os.chmod(self._p(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._p(path), uid, gid)

    def getattr(self, path, fh=None):
        st = os.lstat(self._p(path))
        return {k: getattr(st, k) for k in ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime',
                                            'st_nlink', 'st_size', 'st_uid')}

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._p(path))

    def mkdir(self, path, mode):
        return os.mkdir(self._p(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._p(path))

    def unlink(self, path):
        return os.unlink(self._p(path))

    def rename(self, old, new):
        return os.rename(self._p(old), self._p(new))

    def statfs(self, path):
        s = os.statvfs(self._p(path))
        return {k: getattr(s, k) for k in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail',
                                           'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def utimens(self, path, times=None):
        return os.utime(self._p(path), times)

    def open(self, path, flags):
        return os.open(self._p(path), flags)

    def create(self, path, mode, fi=None):
        return os.open(self._p(path), os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)

    def read(self, path, length, offset, fh):
        return os.pread(fh, length, offset)

    def write(self, path, data, offset, fh):
        self._delay()
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        with open(self._p(path), 'r+') as f:
            f.truncate(length)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return os.close(fh)

    def fsync(self, path, datasync, fh):
        return os.fsync(fh)


if __name__ == '__main__':
    FUSE(Slow(sys.argv[1], sys.argv[3]), sys.argv[2], foreground=True, allow_other=True, big_writes=True)
