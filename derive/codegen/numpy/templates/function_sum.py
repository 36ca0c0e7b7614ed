

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations per term).
    """
    params = _arrays(validate, $keywords)
    return _summed_rows(_${name}_terms, $buffers, params, ($positive), validate)


def _${name}_terms($parameters, out, _b):
$body    return out
