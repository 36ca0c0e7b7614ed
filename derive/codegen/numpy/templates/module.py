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


_BLOCK = 1 << 16  # measured: larger blocks pay less Python per element, smaller ones stay in cache


def _blocked(values, buffers, *arrays):
    """``values(*arrays, out, scratch)`` block by block, into one output, with ``buffers`` scratch
    arrays allocated once: every block reuses the same cache-warm memory."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    size = int(np.prod(shape))
    if size <= _BLOCK:
        return values(*arrays, np.empty(shape), [np.empty(shape) for _ in range(buffers)])
    flat = [np.broadcast_to(a, shape).reshape(-1) for a in arrays]
    out = np.empty(size)
    scratch = [np.empty(_BLOCK) for _ in range(buffers)]
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        values(*(a[start:stop] for a in flat), out[start:stop], [b[:stop - start] for b in scratch])
    return out.reshape(shape)


def _summed_rows(terms, buffers, *arrays):
    """Σ over the last axis of ``terms(*arrays, out, scratch)``, a block of rows at a time (as
    ``_blocked``)."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if int(np.prod(shape)) <= _BLOCK or len(shape) < 2:
        return np.sum(terms(*arrays, np.empty(shape), [np.empty(shape) for _ in range(buffers)]), axis=-1)
    rows = [np.broadcast_to(a, shape).reshape(-1, shape[-1]) for a in arrays]
    out = np.empty(len(rows[0]))
    step = max(1, 2 * _BLOCK // shape[-1])  # the sum is cheap: fewer, larger blocks
    block = (min(step, len(out)), shape[-1])
    values, scratch = np.empty(block), [np.empty(block) for _ in range(buffers)]
    for start in range(0, len(out), step):
        stop = min(start + step, len(out))
        terms(*(a[start:stop] for a in rows), values[:stop - start], [b[:stop - start] for b in scratch])
        out[start:stop] = np.sum(values[:stop - start], axis=-1)
    return out.reshape(shape[:-1])


def _where_rare(condition, value, default):
    """np.where(condition, value(), default), calling value() only if some element needs it."""
    return np.where(condition, value(), default) if np.any(condition) else default


def _result(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value
$helpers$functions
