

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations).
    """
    $unpack = _arrays(validate, ($positive), $keywords)
    return _result(_blocked(_${name}_values, $buffers, $parameters))


def _${name}_values($parameters, out, _b):
$body    return out
