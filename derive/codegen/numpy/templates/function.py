

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations).
    """
    params = _arrays(validate, $keywords)
    value, suspect = _blocked(_${name}_values, $buffers, params, ($positive), validate)
    return _checked(params, ($positive), suspect, value)


def _${name}_values($parameters, out, _b):
$body    return out
