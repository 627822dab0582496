"""Forging checkpoints that tinynn.save would never write, to test that tinynn.load refuses them."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np


def write_archive(path, members: dict, compression: int = zipfile.ZIP_STORED) -> None:
    """A zip archive with the given raw member bytes."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def npy_bytes(array, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npy_header(descr, shape, fortran_order: bool = False) -> bytes:
    """Only the header of a .npy file: it declares an array; the caller decides what data follows."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran_order, "shape": shape})
    return buffer.getvalue()


def header_bytes(root, **fields) -> bytes:
    header = {"format": "tinynn.checkpoint", "version": 1, "root": root, **fields}
    return npy_bytes(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
