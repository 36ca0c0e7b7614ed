

def _$name($parameters):
    """$summary.

    The formula everywhere; where |$selector| < $bound it cancels, so those elements are
    recomputed by a series.
    """
$far_locals
    out = np.asarray($far, dtype=np.float64)
    near = np.abs($selector) < $bound
    if np.any(near):
        $parameters = [a[near] for a in np.broadcast_arrays($parameters)]
$near_locals
        out[near] = $near
    return out
