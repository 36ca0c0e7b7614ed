

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations).
    """
    params = _arrays(validate, $keywords)
    return _blocked(_${name}_values, $buffers, params, ($positive), validate$report)


def _${name}_values($parameters, out, _b):
$body    return out
