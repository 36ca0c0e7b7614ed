

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations).
    """
    params = _arrays(validate, $keywords)
    value, verdict = _blocked(_${name}_values, $buffers, params, ($positive), validate)
    return _checked(params, ($positive), value, verdict)


def _${name}_values($parameters, out, _b):
$body    return out
