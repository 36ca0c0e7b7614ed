

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations per term).
    """
    $unpack = _arrays(validate, ($positive), $keywords)
$body    return _result(np.sum($output, axis=-1))
