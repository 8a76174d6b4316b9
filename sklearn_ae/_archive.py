"""The zip container of a saved model (:mod:`sklearn_ae._persistence`).

Written reproducibly (members dated at the zip epoch) and atomically (a
file of its own, renamed over the target); read back with bounds on what a
crafted file can make it allocate, and every parser error as a ValueError.
"""

import json
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

from ._model_json import MAX_JSON_BYTES

JSON_NAME = "model.json"
WEIGHTS_NAME = "weights.safetensors"
# Members are dated at the zip epoch, so that saving a model twice writes
# the same bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# The process's umask, for the mode of a saved file. Reading it means
# setting it, so it is read once, at import.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_zip(path, members):
    """Write ``(name, bytes, compression)`` members as a zip archive at ``path``.

    The archive is written to a file of its own beside the target, then
    renamed over it (atomic within a folder): an interrupted save never
    leaves a half-written archive under the name, and concurrent saves to one
    path never write into one another's file; a load sees one whole archive.
    """
    path = Path(path)
    handle, partial = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            with zipfile.ZipFile(stream, "w") as archive:
                for name, data, compression in members:
                    archive.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, compression)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private; a saved file gets the usual mode.
        os.chmod(partial, 0o666 & ~_UMASK)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def read_archive(path):
    """``(document, weights bytes)`` of an archive; ValueError when malformed."""
    path = Path(path)
    member = "the archive's directory"
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(archive.namelist())
            if names != sorted([JSON_NAME, WEIGHTS_NAME]):
                raise ValueError(
                    f"{path} is a zip archive but not an sklearn-ae model: it "
                    f"holds {names}, not exactly {[JSON_NAME, WEIGHTS_NAME]}."
                )
            info = archive.getinfo(JSON_NAME)
            if info.file_size > MAX_JSON_BYTES:
                raise ValueError(
                    f"{path}: {JSON_NAME} is {info.file_size} bytes, more than "
                    f"the {MAX_JSON_BYTES} a model's description can take."
                )
            # Stored weights take no more memory than the file's own size.
            if archive.getinfo(WEIGHTS_NAME).compress_type != zipfile.ZIP_STORED:
                raise ValueError(
                    f"{path}: {WEIGHTS_NAME} is compressed; save stores it "
                    "uncompressed."
                )
            member = JSON_NAME
            text = archive.read(JSON_NAME)
            member = WEIGHTS_NAME
            weights = archive.read(WEIGHTS_NAME)
    # zipfile's errors on crafted entries: RuntimeError for an encrypted one,
    # NotImplementedError for an unknown compression, zlib.error, struct.error
    # or OverflowError for malformed headers.
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        RuntimeError,
        NotImplementedError,
        OverflowError,
        zlib.error,
        struct.error,
    ) as exc:
        raise ValueError(
            f"{path} is not a complete sklearn-ae archive (truncated, corrupted "
            f"or another kind of file): reading {member}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    try:
        document = json.loads(text.decode("utf-8"))
    # ValueError covers json's own errors and an integer of too many digits.
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: {JSON_NAME} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ValueError(f"{path}: {JSON_NAME} is not a JSON object.")
    return document, weights
