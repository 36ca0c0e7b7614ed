

@np.errstate(over="ignore", divide="ignore", invalid="ignore")  # both branches are computed everywhere
def _$name($parameters, out, _b):
    """$summary.

    The formula everywhere; where |$selector| < $bound it cancels, so those elements are
    recomputed by a series.  Writes into ``out``; ``_b`` holds scratch arrays of its shape, and the
    series works in their first elements.
    """
$far    near = np.flatnonzero(np.abs($selector, out=_b[$spare]) < $bound)
    if near.size:
        value, *_n = [b.reshape(-1)[:near.size] for b in _b[$first_near:]]
        $subset = [_gather(a, out.shape, near, n) for a, n in zip(($subset), _n[$near_buffers:])]
$near        out.reshape(-1)[near] = value
    return out
