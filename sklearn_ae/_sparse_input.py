"""scipy.sparse input: rows densified a block at a time, never the whole matrix.

Text counts and single-cell counts are sparse matrices whose dense copy
would not fit in memory (200,000 documents of a 20,000-word vocabulary are
32 GB of float64). The estimators take them (validated to CSR, whose rows
slice cheaply) and read them through the same route as memory-mapped
arrays, :class:`~sklearn_ae._rows.HostRows`: each training batch, each
validation batch and each inference block is densified alone, and the
column statistics of the input standardisation are computed on the sparse
blocks themselves. (Not to be confused with :mod:`sklearn_ae._sparse`, the
sparse autoencoder, whose codes are sparse.)
"""

import numpy as np
from scipy import sparse
from sklearn.utils.sparsefuncs import min_max_axis

# Most values of one densified inference block of sparse rows: 2**24 float64
# values are 128 MiB (4,096 rows of 4,096 features), where the dense blocks'
# 4,096 rows of 20,000 words would take 655 MiB.
SPARSE_BLOCK_VALUES = 2**24

# What the estimators' validation (validate_data) accepts of X: float64 or
# float32, dense or sparse; sparse becomes CSR, whose row slices and row
# gathers are cheap (other formats are converted: a copy of the nonzeros,
# not a dense copy).
INPUT = {"accept_sparse": "csr", "dtype": [np.float64, np.float32]}


def issparse(X):
    """Whether X is a scipy.sparse matrix or array."""
    return sparse.issparse(X)


def densify(block):
    """A block of rows as a C-contiguous numpy array (sparse: its dense copy)."""
    return block.toarray() if issparse(block) else np.ascontiguousarray(block)


def block_rows(X, rows):
    """Rows per inference block of X: ``rows``, fewer for wide sparse X."""
    if not issparse(X):
        return rows
    return max(1, min(rows, SPARSE_BLOCK_VALUES // max(X.shape[1], 1)))


def column_sum(block, dtype=np.float64):
    """Sum of each column of a block of rows, a 1-D array, in ``dtype``."""
    # np.asarray: a sparse matrix (not array) sums to a 1 x d np.matrix.
    return np.asarray(block.sum(axis=0, dtype=dtype)).ravel()


def column_squared_deviations(block, mean):
    """``sum((block - mean) ** 2, axis=0)``, without densifying a sparse block.

    A sparse column's implicit zeros each contribute ``mean ** 2``.
    """
    if not issparse(block):
        return np.square(block - mean).sum(axis=0)
    block = sparse.csr_matrix(block)
    columns = block.indices
    deviations = np.bincount(
        columns,
        weights=np.square(block.data - mean[columns]),
        minlength=block.shape[1],
    )
    zeros = block.shape[0] - np.bincount(columns, minlength=block.shape[1])
    return deviations + zeros * np.square(mean)


def column_min(block):
    """Smallest value of each column of a block of rows (implicit zeros count)."""
    return min_max_axis(block, axis=0)[0] if issparse(block) else block.min(axis=0)


def column_max(block):
    """Largest value of each column of a block of rows (implicit zeros count)."""
    return min_max_axis(block, axis=0)[1] if issparse(block) else block.max(axis=0)
