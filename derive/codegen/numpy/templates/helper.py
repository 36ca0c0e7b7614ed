

def _$name($parameters, out, _b):
    """$summary.

    The formula everywhere; where |$selector| < $bound it cancels, so there the series
    ``_${name}_series`` replaces it: on those elements, gathered, or on the whole block where
    they are most of it (gathering them would cost more).  Writes into ``out``; ``_b`` holds
    scratch arrays of its shape.
    """
    with np.errstate(all="ignore"):  # both branches are computed everywhere
$far        near = np.less(np.abs($selector, out=_b[$spare]), $bound)
        count = np.count_nonzero(near)
        if 4 * count > 3 * out.size:
            value, *_n = _b[$first_near:]
            np.copyto(out, _${name}_series($subset, value, _n), where=near)
        elif count:
            near = np.flatnonzero(near)
            value, *_n = [b.reshape(-1)[:near.size] for b in _b[$first_near:]]
            subset = [_gather(a, out.shape, near, n) for a, n in zip(($subset,), _n[$near_buffers:])]
            out.reshape(-1)[near] = _${name}_series(*subset, value, _n)
    return out


def _${name}_series($subset, value, _n):
    """The series for |$selector| < $bound, into ``value``; ``_n`` holds scratch arrays of its shape."""
$near    return value
