

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations per term).
    """
    $unpack = _arrays(validate, ($positive), $keywords)
    return _result(_summed_rows(_${name}_terms, $buffers, $parameters))


def _${name}_terms($parameters, out, _b):
$body    return out
