"""$title

$header

Each function broadcasts like a numpy ufunc and returns a float for scalar input.
Parameters are checked unless ``validate=False``: a scale (sigma) that is not > 0, or any
parameter that is NaN or infinite, raises ``ValueError`` naming the parameter.

Large inputs are computed in blocks of 2^16 elements through scratch buffers kept between calls
(13 MB for each call running at the same time): fresh buffers of that size cost a page fault
per 4 kB, more than the arithmetic done in them.
"""
import numpy as np

__all__ = [$exports]


def _arrays(validate, **params):
    """The parameters as float64 arrays; if ``validate``, shapes that do not broadcast raise here,
    naming them (the values are checked as they are computed with, in ``_blocked``)."""
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in params.items()}
    if validate:
        try:
            np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = ", ".join(f"{name} {a.shape}" for name, a in arrays.items())
            raise ValueError(f"shapes do not broadcast: {shapes}") from None
    return arrays


def _bad_scale(arrays, positive):
    """Whether a scale in this block is not > 0 (or NaN, which propagates through the minimum):
    checked before the block is computed with, which would overflow for a scale like -1e-300."""
    return any(arrays[name].size and not arrays[name].min() > 0 for name in positive)


def _not_finite(out):
    """Whether a block's results hold NaN or an infinity.  Every kernel's result is NaN or
    infinite wherever one of its parameters is (the tests check it), so the parameters'
    finiteness is read off the results, one pass over warm memory, instead of two passes over
    every parameter; a sum of finite results that overflows only costs the full check."""
    return not np.isfinite(np.add.reduce(out, axis=None))


def _checked(arrays, positive, suspect, value):
    """``value``, or ``ValueError`` naming the first invalid parameter if a block was suspect (a
    bad scale stops the computation, with no value; a block whose results are not finite but
    whose parameters are valid overflowed, and its value is returned)."""
    for name, a in arrays.items() if suspect else ():
        if a.size == 0:
            continue
        low, high = a.min(), a.max()  # NaN propagates through both
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"{name} must be finite (got NaN or infinity)")
        if name in positive and not low > 0:
            raise ValueError(f"{name} must be > 0")
    return _result(value)


_BLOCK = 1 << 16  # measured: larger blocks pay less Python per element, smaller ones stay in cache
_POOLS = []  # scratch sets not in use: a call takes one and puts it back (list.pop and append are atomic)


def _scratch(pool, count, size):
    """``count`` flat scratch arrays of ``size`` elements from ``pool``, which a call takes from
    ``_POOLS`` and so owns while it runs: reused by every call, they are warm in cache and cost no
    page faults.  No kernel returns one of them."""
    arrays = pool.setdefault(size, [])
    arrays += [np.empty(size) for _ in range(count - len(arrays))]
    return arrays[:count]


def _pool():
    try:
        return _POOLS.pop()
    except IndexError:  # every set is in use by another thread (or this is the first call)
        return {}


def _gather(a, shape, near, out):
    """``a`` broadcast to ``shape``, flattened, at the indices ``near``: into ``out``, no temporaries."""
    a = np.asarray(a, dtype=np.float64)
    if a.size == 1:
        out.fill(a.reshape(()))
        return out
    return np.take(a.reshape(-1) if a.shape == shape else np.broadcast_to(a, shape).reshape(-1), near, out=out)


def _blocked(values, buffers, arrays, positive, validate):
    """``values(*arrays, out, scratch)`` block by block, into one output, with ``buffers`` scratch
    arrays from a pool: every block reuses the same cache-warm memory.  With ``validate``, each
    block is checked while it is warm (``_bad_scale`` before, ``_not_finite`` after)."""
    return _pooled(_blocks, values, buffers, arrays, positive, validate)


def _summed_rows(terms, buffers, arrays, positive, validate):
    """Σ over the last axis of ``terms(*arrays, out, scratch)``, a block of rows at a time (as
    ``_blocked``)."""
    return _pooled(_row_blocks, terms, buffers, arrays, positive, validate)


@np.errstate(divide="ignore", invalid="ignore")  # only invalid parameters divide by 0 or make NaN
def _pooled(run, values, buffers, arrays, positive, validate):
    pool = _pool()
    try:
        names, arrays = tuple(arrays), tuple(arrays.values())
        return run(pool, values, buffers, names, arrays, positive, validate)
    finally:
        _POOLS.append(pool)


def _blocks(pool, values, buffers, names, arrays, positive, validate):
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    size = int(np.prod(shape))
    if size <= _BLOCK:
        if validate and _bad_scale(dict(zip(names, arrays)), positive):
            return None, True
        out = values(*arrays, np.empty(shape), [b[:size].reshape(shape) for b in _scratch(pool, buffers, _BLOCK)])
        return out, validate and _not_finite(out)
    flat = [np.broadcast_to(a, shape).reshape(-1) for a in arrays]
    out = np.empty(size)
    scratch = _scratch(pool, buffers, _BLOCK)
    suspect = False
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        block = [a[start:stop] for a in flat]
        if validate and _bad_scale(dict(zip(names, block)), positive):
            return None, True
        values(*block, out[start:stop], [b[:stop - start] for b in scratch])
        suspect = suspect or validate and _not_finite(out[start:stop])
    return out.reshape(shape), suspect


def _row_blocks(pool, terms, buffers, names, arrays, positive, validate):
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    size = int(np.prod(shape))
    if size <= _BLOCK or len(shape) < 2:
        scratch = [np.empty(shape) for _ in range(buffers)] if size > _BLOCK else [
            b[:size].reshape(shape) for b in _scratch(pool, buffers, _BLOCK)]
        if validate and _bad_scale(dict(zip(names, arrays)), positive):
            return None, True
        out = np.sum(terms(*arrays, np.empty(shape), scratch), axis=-1)
        return out, validate and _not_finite(out)
    rows = [np.broadcast_to(a, shape).reshape(-1, shape[-1]) for a in arrays]
    out = np.empty(len(rows[0]))
    step = max(1, 2 * _BLOCK // shape[-1])  # the sum is cheap: fewer, larger blocks
    block = (min(step, len(out)), shape[-1])
    elements = block[0] * block[1]
    values, *scratch = ([b[:elements].reshape(block) for b in _scratch(pool, buffers + 1, 2 * _BLOCK)]
                        if elements <= 2 * _BLOCK else [np.empty(block) for _ in range(buffers + 1)])
    suspect = False
    for start in range(0, len(out), step):
        stop = min(start + step, len(out))
        block = [a[start:stop] for a in rows]
        if validate and _bad_scale(dict(zip(names, block)), positive):
            return None, True
        terms(*block, values[:stop - start], [b[:stop - start] for b in scratch])
        out[start:stop] = np.sum(values[:stop - start], axis=-1)
        suspect = suspect or validate and _not_finite(out[start:stop])
    return out.reshape(shape[:-1]), suspect


def _where_rare(condition, value, default):
    """np.where(condition, value(), default), calling value() only if some element needs it."""
    return np.where(condition, value(), default) if np.any(condition) else default


def _result(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value
$helpers$functions
