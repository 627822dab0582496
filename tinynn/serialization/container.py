"""The container: a zip archive of ``.npy`` members, the archive ``numpy.savez`` writes.

Writing stores every member uncompressed (``ZIP_STORED``). Reading trusts nothing in the file,
and refuses with a ``CheckpointError`` naming the file, the member and the fault:

- the zip directory must be readable (a truncated file has none), member names unique, no member
  encrypted, and each member stored or deflated (the two methods ``numpy.savez`` and
  ``numpy.savez_compressed`` write);
- a member's bytes must lie inside the file, and a stored member's size is its size in the file;
- inflation is bounded: the sizes the members declare add up to at most ``MAX_INFLATION`` times
  the file's size (plus 1 MiB). A small file cannot unpack to gigabytes, whether by a deflate bomb
  or by many members pointing at the same bytes; ``zipfile`` reads a member only up to its
  declared size, so the bound holds even when a member lies about it;
- a member holds one ``.npy`` array (format 1.0 or 2.0) of a numeric dtype: bool, integers,
  floats or complex; never objects (pickles), strings or structured records;
- the array's size (its shape times its item size, computed in Python integers) must equal the
  bytes that follow the ``.npy`` header, checked before anything is allocated: a header that
  declares 2**40 elements is refused, not attempted;
- each member read is checked against its CRC-32 (except with ``mmap``, which does not read).
"""
from __future__ import annotations

import math
import os
import struct
import zipfile
from typing import BinaryIO

import numpy as np

from .errors import CheckpointError

MAX_INFLATION = 16             # members may unpack to at most this many times the file's size ...
_INFLATION_SLACK = 1 << 20     # ... plus this, so that tiny files are not judged by their ratio
_READ_CHUNK = 1 << 24          # read arrays 16 MiB at a time (no second full-size buffer)
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a zip local file header: 30 bytes before name and extra
_NUMERIC_KINDS = "biufc"       # bool, signed and unsigned integers, floats, complex


def numeric_dtype(spec) -> np.dtype | None:
    """``spec`` (a dtype, or its string from a file) as a dtype if it is numeric; else None."""
    try:
        dtype = np.dtype(spec)
    except Exception:  # numpy parses dtype strings with many error types; any failure means "not numeric"
        return None
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        return None
    return dtype


# ---------------------------------------------------------------------- writing
def write_archive(handle: BinaryIO, arrays: dict) -> None:
    """One uncompressed ``<name>.npy`` member per array, never pickled."""
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------------- reading
class Archive:
    """A checkpoint archive opened for reading: its directory checked, arrays read on demand.

    source: a seekable binary file. mmap_path: the same file's path, to map stored arrays from
    it instead of reading them (``tinynn.load(..., mmap=True)``).
    """

    def __init__(self, source: BinaryIO, name: str, mmap_path: str | None = None):
        self.source, self.name, self.mmap_path = source, name, mmap_path
        start = source.tell()
        self.size = source.seek(0, os.SEEK_END)  # zip offsets count from the start of the file
        source.seek(start)
        try:
            self.zip = zipfile.ZipFile(source)
        except Exception as err:  # BadZipFile, EOFError, OSError, struct.error ...: all mean the same here
            self.fail(f"the file is truncated or corrupt: its zip directory cannot be read "
                      f"({type(err).__name__}: {err})")
        self.members = self._checked_members()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def fail(self, message: str):
        raise CheckpointError(f"tinynn.load: {self.name}: {message}")

    def _checked_members(self) -> dict[str, zipfile.ZipInfo]:
        members, declared = {}, 0
        for info in self.zip.infolist():
            label = f"member {info.filename!r}"
            if info.filename in members:
                self.fail(f"two members are named {info.filename!r}")
            if info.flag_bits & 0x1:
                self.fail(f"{label} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self.fail(f"{label} uses zip compression method {info.compress_type}; tinynn reads stored "
                          "or deflated members")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                self.fail(f"{label} is stored uncompressed but declares {info.file_size} bytes for "
                          f"{info.compress_size} stored")
            end = info.header_offset + _LOCAL_HEADER.size + info.compress_size
            if info.header_offset < 0 or end > self.size:
                self.fail(f"the file is truncated: {label} needs bytes up to offset {end}, but the file has "
                          f"{self.size}")
            declared += info.file_size
            members[info.filename] = info
        limit = MAX_INFLATION * self.size + _INFLATION_SLACK
        if declared > limit:
            self.fail(f"its members would unpack to {declared} bytes from a file of {self.size} (more than "
                      f"{MAX_INFLATION} times its size): refused as a possible decompression bomb. tinynn.save "
                      "never compresses; if you trust the file, load it with numpy and save it again uncompressed")
        return members

    def has_array(self, key: str) -> bool:
        return key + ".npy" in self.members

    def read_array(self, key: str) -> np.ndarray:
        """The numeric array in member ``<key>.npy``, its size checked before it is allocated."""
        info = self.members.get(key + ".npy")
        if info is None:
            self.fail(f"the header refers to an array {key!r} that is not in the file")
        label = f"member {info.filename!r}"
        try:
            with self.zip.open(info) as member:
                dtype, shape, fortran = self._npy_header(member, label)
                count = math.prod(shape)
                needed, present = count * dtype.itemsize, info.file_size - member.tell()
                if needed > present:
                    self.fail(f"{label} is truncated: it declares a {dtype} array of shape {shape} ({needed} bytes), "
                              f"but only {present} bytes follow its header")
                if needed < present:
                    self.fail(f"{label} holds {present - needed} bytes beyond the {dtype} array of shape {shape} "
                              "its header declares")
                if self.mmap_path is not None and info.compress_type == zipfile.ZIP_STORED and count > 0:
                    flat = self._mapped(info, member.tell(), dtype, count)
                else:
                    flat = self._read_exactly(member, dtype, count, label)
        except CheckpointError:
            raise
        except Exception as err:  # BadZipFile (a failed CRC check), zlib.error, a malformed .npy header ...
            self.fail(f"{label} is corrupt ({type(err).__name__}: {err})")
        return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)

    def _npy_header(self, member, label: str) -> tuple[np.dtype, tuple, bool]:
        try:
            version = np.lib.format.read_magic(member)
        except ValueError:
            self.fail(f"{label} is not a .npy array")
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            self.fail(f"{label} is a .npy array of format version {version}; tinynn reads versions 1.0 and 2.0")
        if numeric_dtype(dtype) is None:
            pickle_note = " (an object array holds pickles, which are never loaded this way)" if dtype.hasobject else ""
            self.fail(f"{label} holds an array of dtype {dtype}; tinynn reads numeric arrays only (bool, integers, "
                      f"floats, complex){pickle_note}")
        if any(size < 0 for size in shape):
            self.fail(f"{label} declares a negative size in its shape {shape}")
        return dtype, shape, fortran

    def _read_exactly(self, member, dtype: np.dtype, count: int, label: str) -> np.ndarray:
        flat = np.empty(count, dtype)
        buffer = memoryview(flat.view(np.uint8))
        filled = 0
        while filled < len(buffer):
            got = member.readinto(buffer[filled:filled + _READ_CHUNK])
            if not got:
                self.fail(f"{label} is truncated: it ends after {filled} of its {len(buffer)} bytes of data")
            filled += got
        if member.read(1):  # also makes zipfile reach the member's end and check its CRC-32
            self.fail(f"{label} holds more bytes than it declares")
        return flat

    def _mapped(self, info: zipfile.ZipInfo, header_length: int, dtype: np.dtype, count: int) -> np.ndarray:
        """A copy-on-write memory map of a stored member's data (writes never reach the file)."""
        self.source.seek(info.header_offset)
        fields = _LOCAL_HEADER.unpack(self.source.read(_LOCAL_HEADER.size))
        if fields[0] != b"PK\x03\x04":
            self.fail(f"member {info.filename!r} has no local header where the directory says")
        name_length, extra_length = fields[-2], fields[-1]
        offset = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length + header_length
        if offset + count * dtype.itemsize > self.size:
            self.fail(f"member {info.filename!r} is truncated: it runs past the end of the file")
        return np.memmap(self.mmap_path, dtype=dtype, mode="c", offset=offset, shape=(count,)).view(np.ndarray)
