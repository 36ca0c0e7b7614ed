"""$title

$header

Each function broadcasts like a numpy ufunc and returns a float for scalar input.
Parameters are checked unless ``validate=False``: a scale (sigma) that is not > 0, or any
parameter that is NaN or infinite, raises ``ValueError`` naming the parameter.
"""
import numpy as np

__all__ = [$exports]


def _arrays(validate, positive, **params):
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in params.items()}
    if validate:
        try:
            np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = ", ".join(f"{name} {a.shape}" for name, a in arrays.items())
            raise ValueError(f"shapes do not broadcast: {shapes}") from None
        for name, a in arrays.items():
            if a.size == 0:
                continue
            low, high = a.min(), a.max()  # NaN propagates through both; two passes, no temporaries
            if not (np.isfinite(low) and np.isfinite(high)):
                raise ValueError(f"{name} must be finite (got NaN or infinity)")
            if name in positive and not low > 0:
                raise ValueError(f"{name} must be > 0")
    return tuple(arrays.values())


_BLOCK = 1 << 15


def _blocked(values, *arrays):
    """``values(*arrays)`` block by block: numpy's temporaries then stay in cache and are
    reused, instead of one fresh array per operation over the whole input."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    size = int(np.prod(shape))
    if size <= _BLOCK:
        return values(*arrays)
    flat = [np.broadcast_to(a, shape).reshape(-1) for a in arrays]
    out = np.empty(size)
    for start in range(0, size, _BLOCK):
        out[start:start + _BLOCK] = values(*(a[start:start + _BLOCK] for a in flat))
    return out.reshape(shape)


def _summed_rows(terms, *arrays):
    """Σ over the last axis of ``terms(*arrays)``, a block of rows at a time (as ``_blocked``)."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if int(np.prod(shape)) <= _BLOCK or len(shape) < 2:
        return np.sum(terms(*arrays), axis=-1)
    rows = [np.broadcast_to(a, shape).reshape(-1, shape[-1]) for a in arrays]
    out = np.empty(len(rows[0]))
    step = max(1, 4 * _BLOCK // shape[-1])  # the sum is cheap: fewer, larger blocks
    for start in range(0, len(out), step):
        out[start:start + step] = np.sum(terms(*(a[start:start + step] for a in rows)), axis=-1)
    return out.reshape(shape[:-1])


def _where_rare(condition, value, default):
    """np.where(condition, value(), default), calling value() only if some element needs it."""
    return np.where(condition, value(), default) if np.any(condition) else default


def _result(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value
$helpers$functions
