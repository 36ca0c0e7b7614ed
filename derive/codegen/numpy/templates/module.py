"""$title

$header

Each function broadcasts like a numpy ufunc and returns a float for scalar input.
They compute in float64 and return float64 whatever the input's dtype (float32 and float16
included): the stable forms' series and switch points are fitted to double precision, and
a float32 result rounded from them would still be exact to the float32 ulp; cast it back
(``.astype(np.float32)``) if you need the input's dtype.
Parameters are checked unless ``validate=False``: a scale (sigma) that is not > 0, or any
parameter that is NaN or infinite, raises ``ValueError`` naming the parameter.

Large inputs are computed in blocks of 2^16 elements through scratch buffers kept between calls
(13 MB for each of up to four calls running at the same time): fresh buffers of that size cost
a page fault per 4 kB, more than the arithmetic done in them.
"""
import warnings

import numpy as np

__all__ = [$exports]


_MAX_DIMENSIONS = 32
"""What numpy's iterators (np.nditer, hence broadcasting in ufuncs) take: more is a RuntimeError."""


def _float64(value, name):
    """``value`` as a float64 array, or ``ValueError`` naming ``name`` for what is not real numbers:
    complex (its imaginary part would be dropped), strings and bytes ("2" would be read as 2), booleans
    (True would be read as 1: a mask passed for a parameter),
    datetimes and durations, dicts, ragged lists, ints beyond double range (10**400), and more
    than 32 dimensions.  A longdouble beyond double range becomes infinite here, quietly: the
    finiteness check refuses it."""
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nesting
        raise ValueError(f"{name} must be an array of real numbers (got a ragged sequence)") from None
    if array.dtype.kind not in "iufO":  # objects: Python ints, Fractions, ... converted below
        raise ValueError(f"{name} must be real numbers (got dtype {array.dtype})")
    if array.dtype.kind == "O" and any(isinstance(v, (bool, np.bool_, str, bytes)) for v in array.flat):
        raise ValueError(f"{name} must be real numbers (got a boolean or a string)")
    if array.ndim > _MAX_DIMENSIONS:
        raise ValueError(f"{name} has {array.ndim} dimensions; at most {_MAX_DIMENSIONS}")
    try:
        with np.errstate(over="ignore"):
            return np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be real numbers within double range (got {type(value).__name__})") from None


def _arrays(validate, **params):
    """The parameters as float64 arrays; if ``validate``, shapes that do not broadcast raise here,
    naming them (the values are checked as they are computed with: see ``_blocks``)."""
    arrays = {name: _float64(value, name) for name, value in params.items()}
    if validate:
        try:
            np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError:
            shapes = ", ".join(f"{name} {a.shape}" for name, a in arrays.items())
            raise ValueError(f"shapes do not broadcast: {shapes}") from None
    return arrays


def _bad_scale(block, positive):
    """Whether a scale in this block is not > 0 (or NaN, which propagates through the minimum):
    checked before the block is computed with, which would overflow for a scale like -1e-300."""
    return any(block[name].size and not block[name].min() > 0 for name in positive)


def _not_finite(out):
    """Whether a block's results hold NaN or an infinity: their sum, one pass over warm memory,
    and only if that is not finite (it may have overflowed) a look at each."""
    return not np.isfinite(np.add.reduce(out, axis=None)) and not np.isfinite(out).all()


def _invalid(block):
    return any(not np.isfinite(a).all() for a in block.values())


def _require_valid(arrays, positive):
    """``ValueError`` naming the first invalid parameter, if there is one."""
    for name, a in arrays.items():
        if a.size == 0:
            continue
        low, high = a.min(), a.max()  # NaN propagates through both
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"{name} must be finite (got NaN or infinity)")
        if name in positive and not low > 0:
            raise ValueError(f"{name} must be > 0")


def _refuse(arrays, positive):
    """A block's parameters were invalid: the error names the first invalid parameter."""
    _require_valid(arrays, positive)
    raise ValueError("a parameter changed while the kernel read it")


_LARGEST = np.array([np.finfo(np.float64).max])
_BLOCK = 1 << 16  # measured: larger blocks pay less Python per element, smaller ones stay in cache
_POOLS = []  # scratch sets not in use: a call takes one and puts it back (list.pop and append are atomic)
_POOLS_KEPT = 4  # sets kept for calls running at the same time; more threads allocate their own


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
    """``a`` broadcast to ``shape``, flattened, at the indices ``near``, into ``out``."""
    a = np.asarray(a, dtype=np.float64)
    if a.size == 1:
        out.fill(a.reshape(()))
        return out
    flat = a.reshape(-1) if a.shape == shape else np.broadcast_to(a, shape).reshape(-1)
    return np.take(flat, near, out=out, mode="clip")  # the indices are in range: "clip" skips a copy


def _blocked(values, buffers, arrays, positive, validate, report=True):
    """``values(*arrays, out, scratch)`` block by block, into one output, with ``buffers`` scratch
    arrays from a pool: every block reuses the same cache-warm memory.  With ``validate``, each
    block is checked while it is warm (see ``_blocks``).  ``report=False`` for a kernel whose +inf
    is a value (a divergent integral), not an overflow to warn of."""
    return _pooled(_blocks, values, buffers, arrays, positive, validate, report)


def _summed_rows(terms, buffers, arrays, positive, validate):
    """Σ over the last axis of ``terms(*arrays, out, scratch)``, a block of rows at a time (as
    ``_blocked``)."""
    return _pooled(_row_blocks, terms, buffers, arrays, positive, validate)


def _pooled(run, values, buffers, arrays, positive, validate, report=True):
    """``run`` with a scratch pool; validated, under an np.errstate that holds back every report,
    so that a refused call reports only its ValueError, and an overflow is reported after."""
    pool = _pool()
    try:
        with np.errstate(**({"all": "ignore"} if validate else {})):
            value, overflowed = run(pool, values, buffers, arrays, positive, validate)
        if overflowed and report:
            _report_overflow()
        return _result(value)
    finally:
        if len(_POOLS) < _POOLS_KEPT:
            _POOLS.append(pool)


def _report_overflow():
    """An overflow, reported under the caller's np.errstate as numpy reports its own; a warning
    names the caller's line (the kernel -> _blocked or _summed_rows -> _pooled -> here), not ours."""
    if np.geterr()["over"] == "warn":
        warnings.warn("overflow encountered: a result is beyond the largest double", RuntimeWarning, stacklevel=5)
    else:  # "ignore", "raise", "call", "print" and "log", exactly as numpy does them
        np.multiply(_LARGEST, 2.0)


def _blocks(pool, values, buffers, arrays, positive, validate):
    """Validated, each block's scales are checked before it is computed (``_bad_scale``), and its
    results after (``_not_finite``): every kernel's result is NaN or infinite wherever one of its
    parameters is (the tests check it), so a parameter's finiteness is read off the results, one
    pass over warm memory instead of two over every parameter.  Returns the value and whether a
    result overflowed (from valid parameters)."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    size = int(np.prod(shape))
    if size <= _BLOCK:
        if validate and size == 0:  # no result to read, but a parameter may be NaN all the same
            _require_valid(arrays, positive)
        scratch = [b[:size].reshape(shape) for b in _scratch(pool, buffers, _BLOCK)]
        return _block(values, tuple(arrays.values()), np.empty(shape), scratch, arrays, positive, validate)
    flat = [np.broadcast_to(a, shape).reshape(-1) for a in arrays.values()]
    out = np.empty(size)
    scratch = _scratch(pool, buffers, _BLOCK)
    overflowed = False
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        overflowed |= _block(values, [a[start:stop] for a in flat], out[start:stop],
                             [b[:stop - start] for b in scratch], arrays, positive, validate)[1]
    return out.reshape(shape), overflowed


def _row_blocks(pool, terms, buffers, arrays, positive, validate):
    """As ``_blocks``, a block of rows at a time, each summed (into ``out`` where there are blocks)."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    size = int(np.prod(shape))
    if size <= _BLOCK or len(shape) < 2:
        if validate and size == 0:  # as in _blocks
            _require_valid(arrays, positive)
        scratch = [np.empty(shape) for _ in range(buffers)] if size > _BLOCK else [
            b[:size].reshape(shape) for b in _scratch(pool, buffers, _BLOCK)]
        return _block(_summed(terms), tuple(arrays.values()), np.empty(shape), scratch, arrays, positive, validate)
    rows = [np.broadcast_to(a, shape).reshape(-1, shape[-1]) for a in arrays.values()]
    out = np.empty(len(rows[0]))
    step = max(1, 2 * _BLOCK // shape[-1])  # the sum is cheap: fewer, larger blocks
    block = (min(step, len(out)), shape[-1])
    elements = block[0] * block[1]
    values, *scratch = ([b[:elements].reshape(block) for b in _scratch(pool, buffers + 1, 2 * _BLOCK)]
                        if elements <= 2 * _BLOCK else [np.empty(block) for _ in range(buffers + 1)])
    overflowed = False
    for start in range(0, len(out), step):
        stop = min(start + step, len(out))
        overflowed |= _block(_summed(terms, out[start:stop]), [a[start:stop] for a in rows], values[:stop - start],
                             [b[:stop - start] for b in scratch], arrays, positive, validate)[1]
    return out.reshape(shape[:-1]), overflowed


def _summed(terms, into=None):
    """``terms`` summed over the last axis, into ``into`` if given."""
    return lambda *args: np.sum(terms(*args), axis=-1, out=into)


def _block(values, block, out, scratch, arrays, positive, validate):
    """``values`` on one block (of ``arrays``), and whether a result overflowed; validated,
    ``ValueError`` if the block's parameters are invalid."""
    named = dict(zip(arrays, block)) if validate else None
    if validate and _bad_scale(named, positive):
        _refuse(arrays, positive)
    out = values(*block, out, scratch)
    if not (validate and _not_finite(out)):
        return out, False
    if _invalid(named):
        _refuse(arrays, positive)
    return out, True


def _where_rare(condition, value, default):
    """np.where(condition, value(), default), calling value() only if some element needs it."""
    return np.where(condition, value(), default) if np.any(condition) else default


def _fresh(helper, buffers, *args):
    """``helper(*args)`` into new arrays: a special function in a rare branch, which the block's
    scratch arrays do not cover."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    return helper(*args, np.empty(shape), [np.empty(shape) for _ in range(buffers)])


def _result(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value
$helpers$functions
