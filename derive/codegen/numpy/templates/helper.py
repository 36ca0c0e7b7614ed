

@np.errstate(over="ignore", divide="ignore", invalid="ignore")  # both branches are computed everywhere
def _$name($parameters, out, _b):
    """$summary.

    The formula everywhere; where |$selector| < $bound it cancels, so those elements are
    recomputed by a series.  Writes into ``out``; ``_b`` holds scratch arrays of its shape.
    """
$far    near = np.flatnonzero(np.abs($selector, out=_b[$spare]) < $bound)
    if near.size:
        $subset = [np.broadcast_to(a, out.shape).reshape(-1)[near] for a in ($subset)]
        value, _n = np.empty(near.size), np.empty(($near_buffers, near.size))
$near        out.reshape(-1)[near] = value
    return out
